#include "online/retrieval/retriever.h"

#include <algorithm>

#include "online/retrieval/candidate_order.h"
#include "online/retrieval/scratch_index.h"
#include "online/retrieval/sources.h"

namespace reco::online {
namespace {

struct MergeScratch {
  std::vector<Candidate> part;
  ScratchIndex index;
};
MergeScratch& ThreadMergeScratch() {
  thread_local MergeScratch scratch;
  return scratch;
}

}  // namespace

std::string SourceBitsName(uint8_t bits) {
  static constexpr std::pair<uint8_t, const char*> kNames[] = {
      {kSourceCoVisit, "covisit"}, {kSourceCategory, "category"}, {kSourceTrending, "trending"},
      {kSourceColdStart, "cold_start"}};
  std::string s;
  for (const auto& [bit, name] : kNames) {
    if ((bits & bit) == 0) continue;
    if (!s.empty()) s += '+';
    s += name;
  }
  return s;
}

Retriever::Retriever(const Store* store, RetrieverOptions options) : store_(store), options_(options) {
  sources_.push_back({std::make_unique<CoVisitationSource>(store, options_.covis_recent_items), options_.covis_weight});
  sources_.push_back({std::make_unique<CategoryPopularSource>(store, options_.recent_categories,
                                                             options_.items_per_category),
                      options_.category_weight});
  sources_.push_back({std::make_unique<TrendingSource>(store, options_.trending_items, kSourceTrending),
                      options_.trending_weight});
  cold_start_ = std::make_unique<TrendingSource>(store, std::max(options_.trending_items, options_.max_want),
                                                 kSourceColdStart);
}

Retriever::~Retriever() = default;

Status Retriever::Retrieve(const RetrievalRequest& request, std::vector<Candidate>* out) const {
  out->clear();
  RetrievalRequest r = request;
  r.want = request.want <= 0 ? options_.default_want : std::min(request.want, options_.max_want);
  if (r.history.empty()) return cold_start_->Retrieve(r, out);

  MergeScratch& s = ThreadMergeScratch();
  s.index.Reset(static_cast<size_t>(3 * r.want));
  for (const WeightedSource& ws : sources_) {
    s.part.clear();
    RETURN_IF_ERROR(ws.source->Retrieve(r, &s.part));
    for (const Candidate& c : s.part) {
      bool inserted = false;
      const uint32_t slot = s.index.FindOrInsert(c.item_id, static_cast<uint32_t>(out->size()), &inserted);
      if (inserted) out->push_back(Candidate{c.item_id, c.category_id, 0, 0});
      Candidate& merged = (*out)[slot];
      merged.retrieval_score += ws.weight * c.retrieval_score;
      merged.source |= c.source;
    }
  }
  SortTop(out, static_cast<size_t>(r.want));
  return Status::Ok();
}

}  // namespace reco::online
