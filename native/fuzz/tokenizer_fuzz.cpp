// libFuzzer target: rrm::Tokenizer::tokenize_plain, the guard between user text (queries,
// responses) and the prompt. For any bytes it must not crash, must return only ordinary tokens
// (no control or user-defined token such as `</think>`, whatever text the input holds), and the
// tokens must read back as exactly the input, ill-formed UTF-8 bytes read as U+FFFD. The trusted path
// (tokenize_raw with parse_special) must not crash either.
// The vocabulary comes from RRM_FUZZ_VOCAB: the tiny "rrm" test model (scripts/fuzz-native.sh
// writes it), i.e. the real Qwen2 BPE with DeepSeek-R1-Distill's special tokens.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "llama.h"
#include "tokenizer.h"

namespace {
rrm::Tokenizer * tokenizer = nullptr;

void quiet(ggml_log_level, const char *, void *) {}

[[noreturn]] void fail(const char * what, const std::string & text) {
  std::fprintf(stderr, "tokenizer_fuzz: %s for %zu bytes\n", what, text.size());
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char * path = std::getenv("RRM_FUZZ_VOCAB");
  if (!path) {
    std::fprintf(stderr, "tokenizer_fuzz: set RRM_FUZZ_VOCAB to a GGUF with a tokenizer (scripts/fuzz-native.sh does)\n");
    std::exit(2);
  }
  llama_log_set(quiet, nullptr);
  llama_backend_init();
  llama_model_params mp = llama_model_default_params();
  mp.vocab_only = true;
  llama_model * model = llama_model_load_from_file(path, mp);
  if (!model) {
    std::fprintf(stderr, "tokenizer_fuzz: cannot load %s\n", path);
    std::exit(2);
  }
  tokenizer = new rrm::Tokenizer(llama_model_get_vocab(model));  // lives for the process
  if (tokenizer->special_tokens().empty()) {
    std::fprintf(stderr, "tokenizer_fuzz: %s has no special tokens; the guard would go untested\n", path);
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
  const std::string text(reinterpret_cast<const char *>(data), size);
  std::vector<llama_token> tokens;
  try {
    tokens = tokenizer->tokenize_plain(text);
  } catch (const std::exception & e) {
    fail(e.what(), text);
  }
  for (llama_token t : tokens) {
    if (t < 0 || t >= tokenizer->n_vocab()) fail("a token outside the vocabulary", text);
    if (tokenizer->is_special(t)) fail("user text became a special token", text);
  }
  // Ill-formed bytes are read as U+FFFD; everything else must come back exactly.
  if (tokenizer->detokenize(tokens, false) != rrm::to_valid_utf8(text)) fail("the tokens do not read back as the (repaired) text", text);
  // The trusted path (template text) may produce special tokens but must survive any bytes.
  std::vector<llama_token> raw = tokenizer->tokenize_raw(text, true, true);
  (void) tokenizer->detokenize(raw, true);
  return 0;
}
