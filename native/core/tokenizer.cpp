#include "tokenizer.h"

#include <algorithm>
#include <stdexcept>

namespace rrm {
namespace {
constexpr int kSpecialAttrs = LLAMA_TOKEN_ATTR_CONTROL | LLAMA_TOKEN_ATTR_USER_DEFINED | LLAMA_TOKEN_ATTR_UNKNOWN;

size_t utf8_char_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xE) return 3;
  if ((c >> 3) == 0x1E) return 4;
  return 1;
}

// Length of the well-formed UTF-8 sequence at s[i] (Unicode table 3-7), or 0 if there is none.
size_t valid_sequence(const std::string & s, size_t i) {
  const auto at = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = at(0);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) { n = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
  else return 0;
  if (i + n > s.size() || at(1) < lo || at(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) if ((at(k) & 0xC0) != 0x80) return 0;
  return n;
}
}  // namespace

std::string to_valid_utf8(const std::string & text) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t n = valid_sequence(text, i);
    if (n == 0) break;
    i += n;
  }
  if (i == text.size()) return text;
  // Each ill-formed byte becomes U+FFFD (JS strings reach us well-formed already): llama.cpp's BPE
  // would otherwise throw on a 4-byte form past U+10FFFF ("invalid codepoint", found by
  // native/fuzz/tokenizer_fuzz.cpp) and pass other damage through unevenly.
  std::string out(text, 0, i);
  while (i < text.size()) {
    const size_t n = valid_sequence(text, i);
    if (n == 0) { out += "\xEF\xBF\xBD"; ++i; }
    else { out.append(text, i, n); i += n; }
  }
  return out;
}

Tokenizer::Tokenizer(const llama_vocab * vocab) : vocab_(vocab), n_vocab_(llama_vocab_n_tokens(vocab)) {
  special_mask_.assign(n_vocab_, false);
  for (llama_token t = 0; t < n_vocab_; ++t) {
    if (!(llama_vocab_get_attr(vocab_, t) & kSpecialAttrs)) continue;
    special_mask_[t] = true;
    special_ids_.push_back(t);
    std::string text = piece(t, true);
    if (!text.empty()) special_texts_.push_back(std::move(text));
  }
  std::sort(special_texts_.begin(), special_texts_.end());
  special_texts_.erase(std::unique(special_texts_.begin(), special_texts_.end()), special_texts_.end());
}

std::vector<llama_token> Tokenizer::tokenize_raw(const std::string & input, bool add_special, bool parse_special) const {
  const std::string text = to_valid_utf8(input);
  if (text.size() > static_cast<size_t>(INT32_MAX / 2)) throw std::runtime_error("text too long to tokenize");
  std::vector<llama_token> out(text.size() + 8);
  int32_t n = llama_tokenize(vocab_, text.data(), (int32_t) text.size(), out.data(), (int32_t) out.size(), add_special, parse_special);
  if (n < 0) {
    out.resize(-n);
    n = llama_tokenize(vocab_, text.data(), (int32_t) text.size(), out.data(), (int32_t) out.size(), add_special, parse_special);
  }
  if (n < 0) throw std::runtime_error("llama_tokenize failed");
  out.resize(n);
  return out;
}

bool Tokenizer::is_special(llama_token token) const {
  return token >= 0 && token < n_vocab_ && special_mask_[token];
}

std::vector<llama_token> Tokenizer::tokenize_plain(const std::string & input) const {
  // Made valid first, so the cuts below land on the text llama.cpp sees.
  const std::string text = to_valid_utf8(input);
  std::vector<llama_token> tokens = tokenize_raw(text, false, false);
  if (std::none_of(tokens.begin(), tokens.end(), [&](llama_token t) { return is_special(t); })) return tokens;

  // Cut the text one character into every occurrence of a special token's text, so no piece
  // contains a whole one; llama.cpp's partitioner can then only produce ordinary tokens.
  std::vector<size_t> cuts;
  for (const std::string & s : special_texts_) {
    for (size_t at = text.find(s); at != std::string::npos; at = text.find(s, at + 1)) {
      cuts.push_back(at + utf8_char_len((unsigned char) s[0]));
    }
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  tokens.clear();
  size_t start = 0;
  cuts.push_back(text.size());
  for (size_t cut : cuts) {
    if (cut <= start) continue;
    std::vector<llama_token> part = tokenize_raw(text.substr(start, cut - start), false, false);
    tokens.insert(tokens.end(), part.begin(), part.end());
    start = cut;
  }
  for (llama_token t : tokens) {
    if (is_special(t)) throw std::runtime_error("plain-text tokenization produced special token " + std::to_string(t));
  }
  return tokens;
}

std::string Tokenizer::piece(llama_token token, bool special) const {
  char buf[256];
  int32_t n = llama_token_to_piece(vocab_, token, buf, sizeof(buf), 0, special);
  if (n >= 0) return std::string(buf, n);
  std::string big(-n, '\0');
  n = llama_token_to_piece(vocab_, token, big.data(), (int32_t) big.size(), 0, special);
  big.resize(n < 0 ? 0 : n);
  return big;
}

std::string Tokenizer::detokenize(const std::vector<llama_token> & tokens, bool special) const {
  std::string out;
  for (llama_token t : tokens) {
    if (t < 0 || t >= n_vocab_) throw std::runtime_error("token id " + std::to_string(t) + " is outside the vocabulary (0.." + std::to_string(n_vocab_ - 1) + ")");
    out += piece(t, special);
  }
  return out;
}

}  // namespace rrm
