// Bulk import of Taobao-format behaviour CSV (docs/data.md §1) into a Store: `reco-recommender import --events FILE`.
//
// Rows are read with data::ReadBehaviorCsv (memory-mapped, dirty rows skipped and reported with their line numbers)
// and appended in large unsynced batches, with one WAL fsync at the end, so an import runs at hundreds of thousands
// of events/s instead of paying an fsync per event. Every row carries its category, so the catalog learns
// item → category as a side effect; ImportOptions::events = false registers only the catalog (no history).
// Thread-safety: may run concurrently with other Store calls (the store serialises writes).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "data/behavior_reader.h"
#include "online/store/store.h"

namespace reco::online {

struct ImportOptions {
  data::BehaviorReaderOptions reader;  // window, examples kept, batch rows
  bool events = true;                  // append the events (history, co-visitation, popularity)
  bool catalog = true;                 // register item → category for items the catalog does not know
};

struct ImportStats {
  data::BehaviorReadStats read;  // lines, good rows, dirty rows by reason with examples (line numbers)
  int64_t events_appended = 0;
  int64_t items_registered = 0;
  double seconds = 0;
  std::string Summary() const;
};

// `stats` may be null. NotFound for a missing file; dirty rows are not an error.
Status ImportCsv(Store* store, const std::string& csv_path, const ImportOptions& options, ImportStats* stats);
inline Status ImportCsv(Store* store, const std::string& csv_path, ImportStats* stats) {
  return ImportCsv(store, csv_path, ImportOptions(), stats);
}

}  // namespace reco::online
