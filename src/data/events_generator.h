// Synthetic Taobao-style behaviour logs with structure a sequence model can find and a bag-of-items model cannot.
//
// World: `items` items with Zipf popularity (random rank → weight 1/(rank+1)^item_zipf), each in exactly one of
// `categories` categories (category sizes are skewed too; every category has at least one item when items ≥
// categories). Users: each holds 2–4 latent interest categories (drawn by category popularity) that drift: at the
// start of each day one interest is replaced with probability `drift_per_day`. A user is active on a day with
// probability 0.7 and then browses in sessions (minutes apart inside, hours apart between): a session picks one
// interest (or, 10% of the time, explores a popular category), views items of that category by popularity,
// re-views recent items (repeat views), occasionally hops to another interest. Each event is pv / cart / fav / buy
// with probabilities 0.895 / 0.055 / 0.03 / 0.02 (Taobao's funnel); carts and favs go to recently viewed items 90%
// of the time, buys to recent carts or views 90% of the time, so the sequence predicts them.
// Output is the UserBehavior CSV (ids: users 1..N, items 1..M, categories 1..C), sorted by (user, time), streamed
// in chunks: memory is O(users + items) regardless of the number of events. Timestamps start at
// kTaobaoMinTimestamp (Nov 25 2017, Beijing) and stay inside [start, start + days·86400).
// Deterministic: each user draws from its own generator seeded by (seed, user), so output depends only on options.
// Thread-safety: free functions, no shared state.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace reco::data {

struct EventGeneratorOptions {
  int64_t users = 1000;
  int64_t items = 10000;
  int64_t categories = 100;
  int days = 9;
  uint64_t seed = 1;
  double mean_events_per_day = 20.0;  // per user on an active day, before the activity multiplier
  double item_zipf = 0.9;
  double drift_per_day = 0.3;
  int64_t start_time = 1511539200;  // kTaobaoMinTimestamp
  bool progress = false;            // ProgressBar on stderr
};

struct EventGeneratorStats {
  int64_t events = 0;
  int64_t by_type[4] = {0, 0, 0, 0};  // pv, cart, fav, buy
  int64_t active_users = 0;
  int64_t bytes = 0;
};

// Receives consecutive chunks of CSV text (whole lines).
using CsvChunkFn = std::function<Status(std::string_view chunk)>;

Status GenerateEvents(const EventGeneratorOptions& options, const CsvChunkFn& sink, EventGeneratorStats* stats);
// Writes to `path` (temporary name, then rename).
Status GenerateEventsToFile(const EventGeneratorOptions& options, const std::string& path, EventGeneratorStats* stats);

}  // namespace reco::data
