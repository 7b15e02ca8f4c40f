#include "online/store/csv_import.h"

#include <chrono>
#include <vector>

#include <fmt/format.h>

#include "core/logging.h"

namespace reco::online {

std::string ImportStats::Summary() const {
  return fmt::format("imported {} events, registered {} catalog items in {:.2f} s ({:.0f} events/s)\n{}",
                     events_appended, items_registered, seconds, seconds > 0 ? events_appended / seconds : 0.0,
                     read.Summary());
}

Status ImportCsv(Store* store, const std::string& csv_path, const ImportOptions& options, ImportStats* stats) {
  ImportStats local;
  ImportStats& st = stats != nullptr ? *stats : local;
  st = ImportStats();
  const auto start = std::chrono::steady_clock::now();

  std::vector<Event> events;
  std::vector<ItemInfo> items;
  const auto on_batch = [&](const data::EventBatch& batch) -> Status {
    if (options.catalog && !options.events) {
      // Catalog only: items the store does not know yet, each once per batch.
      items.clear();
      for (size_t i = 0; i < batch.size(); ++i) {
        if (store->GetItem(batch.item[i]).has_value()) continue;
        bool dup = false;
        for (size_t j = items.size(); j-- > 0 && !dup;) dup = items[j].item_id == batch.item[i];
        if (!dup) items.push_back(ItemInfo{batch.item[i], batch.cate[i], true});
      }
      st.items_registered += static_cast<int64_t>(items.size());
      return store->PutItems(items);
    }
    if (!options.events) return Status::Ok();
    events.resize(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      events[i] = Event{batch.user[i], batch.item[i], static_cast<int64_t>(batch.cate[i]),
                        static_cast<data::BehaviorType>(batch.type[i]), batch.ts[i]};
    }
    const int64_t items_before = store->stats().num_items;
    Status status = store->AppendUnsynced(events);
    if (!status.ok()) {
      return status.WithContext(fmt::format("import {} (rows from line {})", csv_path, batch.line.front()));
    }
    st.events_appended += static_cast<int64_t>(batch.size());
    st.items_registered += store->stats().num_items - items_before;
    return Status::Ok();
  };
  RETURN_IF_ERROR(data::ReadBehaviorCsv(csv_path, options.reader, on_batch, &st.read));
  RETURN_IF_ERROR(store->Sync());
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RECO_LOG_INFO("{}", st.Summary());
  return Status::Ok();
}

}  // namespace reco::online
