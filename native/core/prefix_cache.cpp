#include "prefix_cache.h"

#include <algorithm>

namespace rrm {

int32_t PrefixCache::common_prefix(const std::vector<llama_token> & a, const std::vector<llama_token> & b) {
  size_t n = std::min(a.size(), b.size()), i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return (int32_t) i;
}

PrefixCache::Match PrefixCache::best(const std::vector<llama_token> & prompt) const {
  Match m;
  const int32_t cap = (int32_t) prompt.size() - 1;
  for (const auto & e : entries_) {
    if (!e->ready || !e->shared) continue;
    int32_t len = std::min(common_prefix(e->tokens, prompt), cap);
    if (whole_only_ && len != (int32_t) e->tokens.size()) continue;
    if (len > m.length) m = Match{e.get(), len};
  }
  return m;
}

int32_t PrefixCache::longest_shared(const std::vector<llama_token> & prompt) const {
  int32_t best = 0;
  for (const auto & e : entries_) {
    if (e->ready && e->shared) best = std::max(best, common_prefix(e->tokens, prompt));
  }
  return std::min(best, (int32_t) prompt.size() - 1);
}

int32_t PrefixCache::pending_overlap(const std::vector<llama_token> & prompt) const {
  int32_t best = 0;
  for (const auto & e : entries_) {
    if (e->ready || !e->shared) continue;
    best = std::max(best, common_prefix(e->tokens, prompt));
  }
  return best;
}

CacheEntry * PrefixCache::add(llama_seq_id seq, std::vector<llama_token> tokens, const Match & from, bool shared, uint64_t now) {
  auto e = std::make_unique<CacheEntry>();
  e->seq = seq;
  e->tokens = std::move(tokens);
  e->own_start = from.length;
  e->parent = from.length > 0 ? from.entry : nullptr;
  e->shared = shared;
  e->last_used = now;
  if (e->parent) {
    e->parent->children++;
    e->parent->last_used = now;
  }
  cells_ += e->own_cells();
  entries_.push_back(std::move(e));
  return entries_.back().get();
}

CacheEntry * PrefixCache::lru_evictable() const {
  CacheEntry * best = nullptr;
  for (const auto & e : entries_) {
    if (e->children > 0 || e->pins > 0) continue;
    if (!best || e->last_used < best->last_used) best = e.get();
  }
  return best;
}

void PrefixCache::remove(CacheEntry * entry) {
  if (entry->parent) entry->parent->children--;
  cells_ -= entry->own_cells();
  entries_.remove_if([&](const std::unique_ptr<CacheEntry> & e) { return e.get() == entry; });
}


}  // namespace rrm
