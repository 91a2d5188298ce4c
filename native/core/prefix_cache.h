#pragma once
// Prompts kept in the KV cache across requests. Each entry is one sequence id holding a whole
// prompt; a new prompt copies the longest common prefix from the best entry (metadata only in
// unified KV) and computes just the rest. Cells are counted per entry: an entry "owns" the cells it
// computed itself. Only entries nobody depends on (no child entry, no live request) are evicted,
// so evicting one frees exactly the cells it owns.
#include <cstdint>
#include <list>
#include <memory>
#include <vector>

#include "llama.h"

namespace rrm {

struct CacheEntry {
  llama_seq_id seq = -1;
  std::vector<llama_token> tokens;
  int32_t own_start = 0;        // cells [own_start, tokens.size()) were computed for this entry
  CacheEntry * parent = nullptr;
  int32_t children = 0;
  int32_t pins = 0;             // live requests whose sequences hold these cells
  bool ready = false;           // fully prefilled
  bool shared = true;           // may be found by other requests
  uint64_t last_used = 0;
  int32_t own_cells() const { return (int32_t) tokens.size() - own_start; }
};

class PrefixCache {
 public:
  // Split KV can copy only whole sequences, so only entries that are a prefix of the prompt match.
  explicit PrefixCache(bool whole_copies_only) : whole_only_(whole_copies_only) {}

  struct Match {
    CacheEntry * entry = nullptr;
    int32_t length = 0;
  };
  // The ready entry sharing the longest prefix with `prompt`, capped at prompt.size() - 1 so the
  // last prompt token is always decoded (its logits start sampling).
  Match best(const std::vector<llama_token> & prompt) const;
  // The longest prefix shared with any ready entry, whole or not (split KV cannot copy part of
  // one, so the scheduler computes such a prefix once as an entry of its own).
  int32_t longest_shared(const std::vector<llama_token> & prompt) const;
  // The longest prefix shared with an entry still being prefilled.
  int32_t pending_overlap(const std::vector<llama_token> & prompt) const;

  CacheEntry * add(llama_seq_id seq, std::vector<llama_token> tokens, const Match & from, bool shared, uint64_t now);
  CacheEntry * lru_evictable() const;
  void remove(CacheEntry * entry);

  int32_t cells() const { return cells_; }
  int32_t size() const { return (int32_t) entries_.size(); }

 private:
  static int32_t common_prefix(const std::vector<llama_token> & a, const std::vector<llama_token> & b);
  bool whole_only_;
  std::list<std::unique_ptr<CacheEntry>> entries_;
  int32_t cells_ = 0;
};

}  // namespace rrm
