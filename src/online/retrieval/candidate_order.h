// The one candidate order of retrieval: score descending, ties by item id ascending (deterministic), and a
// top-`want` selection that does not sort what it drops.
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <vector>

#include "online/retrieval/candidate_source.h"

namespace reco::online {

inline bool CandidateBefore(const Candidate& a, const Candidate& b) {
  return a.retrieval_score > b.retrieval_score || (a.retrieval_score == b.retrieval_score && a.item_id < b.item_id);
}

// Keeps the best `want` of *c, sorted.
inline void SortTop(std::vector<Candidate>* c, size_t want) {
  if (c->size() > want) {
    std::nth_element(c->begin(), c->begin() + static_cast<std::ptrdiff_t>(want), c->end(), CandidateBefore);
    c->resize(want);
  }
  std::sort(c->begin(), c->end(), CandidateBefore);
}

}  // namespace reco::online
