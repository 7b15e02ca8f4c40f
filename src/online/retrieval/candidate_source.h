// CandidateSource: one way of proposing items a user may want (co-visitation, popular in the user's categories,
// global trending, cold start). The Retriever merges several sources into one de-duplicated candidate list.
//
// Contract: Retrieve appends at most `request.want` candidates to *out (it does not clear it), each item at most
// once, with retrieval_score normalised to (0, 1] within the source (1 = the source's best) and `source` set to the
// source's bit. Unavailable items are never proposed. Order is deterministic (score descending, ties by item id).
// Thread-safety: Retrieve is const and may be called concurrently; sources reuse thread-local scratch buffers so a
// warm request allocates nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <span>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "online/store/store.h"

namespace reco::online {

// Bits of Candidate::source.
enum CandidateSourceBit : uint8_t {
  kSourceCoVisit = 1 << 0,       // co-visited with the user's recent items
  kSourceCategory = 1 << 1,      // popular in one of the user's recent categories (or the requested category)
  kSourceTrending = 1 << 2,      // globally trending
  kSourceColdStart = 1 << 3,     // the user has no history: trending stands in for everything
};
// "covisit", "category", "trending", "cold_start" joined by '+', e.g. "covisit+category".
std::string SourceBitsName(uint8_t bits);

struct Candidate {
  uint64_t item_id = 0;
  uint64_t category_id = 0;
  float retrieval_score = 0;  // source-weighted sum of normalised source scores; higher is better
  uint8_t source = 0;         // bitmask of CandidateSourceBit

  friend bool operator==(const Candidate&, const Candidate&) = default;
};

struct RetrievalRequest {
  uint64_t user_id = 0;
  std::span<const HistoryEntry> history;  // oldest first (Store::History); empty: cold start
  int want = 500;
  int64_t now = 0;                        // Unix seconds (reserved for time-aware sources)
  std::optional<uint64_t> category;       // only items of this category
};

class CandidateSource {
 public:
  virtual ~CandidateSource() = default;
  virtual std::string_view name() const = 0;
  virtual Status Retrieve(const RetrievalRequest& request, std::vector<Candidate>* out) const = 0;
};

}  // namespace reco::online
