#pragma once
// Tokenization helpers over a llama_vocab. The rule that matters: text that came from a user
// (queries, responses) never becomes a control or user-defined token, even when it contains the
// exact text of one, while template text may.
#include <string>
#include <vector>

#include "llama.h"

namespace rrm {

// The text with every ill-formed UTF-8 byte replaced by U+FFFD (the text itself when well-formed).
std::string to_valid_utf8(const std::string & text);

class Tokenizer {
 public:
  explicit Tokenizer(const llama_vocab * vocab);

  // llama.cpp's own tokenizer. parse_special=false still matches user-defined tokens such as
  // DeepSeek-R1's `</think>`, so this is only safe for trusted text.
  std::vector<llama_token> tokenize_raw(const std::string & text, bool add_special, bool parse_special) const;

  // Both take any bytes: ill-formed UTF-8 is read as U+FFFD (to_valid_utf8).
  // Untrusted text: every token returned is a normal (or byte) token. Where the text contains the
  // text of a special token, it is tokenized in pieces cut inside that text.
  std::vector<llama_token> tokenize_plain(const std::string & text) const;

  // `special`: render control tokens as their text (needed to see `</think>` in output).
  std::string piece(llama_token token, bool special) const;
  std::string detokenize(const std::vector<llama_token> & tokens, bool special) const;

  bool is_special(llama_token token) const;
  const std::vector<llama_token> & special_tokens() const { return special_ids_; }
  int32_t n_vocab() const { return n_vocab_; }

 private:
  const llama_vocab * vocab_;
  int32_t n_vocab_;
  std::vector<llama_token> special_ids_;
  std::vector<std::string> special_texts_;
  std::vector<bool> special_mask_;
};

}  // namespace rrm
