// Retriever: the candidate generator of a recommend request — merges the sources below into ~500 de-duplicated
// candidates, ordered by a weighted sum of the sources' normalised scores (ties: item id ascending), so the same
// store state and request always give the same list.
//
//   co-visitation      items co-visited with the user's recent items (updated online: an event is visible to the
//                      next request), weighted by how recent and how strong (pv < fav < cart < buy) each is;
//   category popular   the most popular items of the user's recent categories (or of request.category);
//   trending           globally most popular, recency-weighted (exponential decay);
//   cold start         a user without history gets the trending list (source bit kSourceColdStart).
//
// With request.category set, only items of that category are returned (and that category's popular list is always
// consulted, so the answer is not empty when the user's other sources point elsewhere).
// Thread-safety: Retrieve is const and may be called concurrently. The Store is not owned and must outlive the
// Retriever.
#pragma once

#include <memory>
#include <vector>

#include "online/retrieval/candidate_source.h"
#include "online/store/store.h"

namespace reco::online {

struct RetrieverOptions {
  int default_want = 500;  // used when a request's want ≤ 0
  int max_want = 5000;     // larger requests are clamped
  // Co-visitation: neighbours of the user's most recent distinct items.
  int covis_recent_items = 20;
  float covis_weight = 1.0f;
  // Category popular: the user's most recent distinct categories, top items of each.
  int recent_categories = 5;
  int items_per_category = 200;
  float category_weight = 0.5f;
  // Global trending (also the cold-start list).
  int trending_items = 500;
  float trending_weight = 0.2f;
};

class Retriever {
 public:
  Retriever(const Store* store, RetrieverOptions options);
  ~Retriever();
  Retriever(const Retriever&) = delete;
  Retriever& operator=(const Retriever&) = delete;

  // Replaces *out with at most `want` candidates (best first). Never fails for an unknown user (cold start);
  // InvalidArgument only for a malformed request (history not oldest first is tolerated).
  Status Retrieve(const RetrievalRequest& request, std::vector<Candidate>* out) const;

  const RetrieverOptions& options() const { return options_; }

 private:
  struct WeightedSource {
    std::unique_ptr<CandidateSource> source;
    float weight;
  };
  const Store* store_;  // not owned
  RetrieverOptions options_;
  std::vector<WeightedSource> sources_;
  std::unique_ptr<CandidateSource> cold_start_;
};

}  // namespace reco::online
