#include "online/store/store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <shared_mutex>
#include <unordered_set>

#include "core/logging.h"
#include "online/store/store_codec.h"
#include "online/store/store_state.h"

namespace reco::online {
namespace {

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string message = std::string(what) + ": " + s.ToString();
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return UnavailableError(message + " (is another process using this data dir?)");
  }
  if (s.IsCorruption()) return DataLossError(message);
  if (s.IsInvalidArgument()) return InvalidArgumentError(message);
  return InternalError(message);
}

int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One caller of Write waiting in the queue (LevelDB's DBImpl::Writer).
struct Writer {
  std::span<const StoredEvent> events;
  std::span<const ItemInfo> items;
  bool sync = true;
  Status status;
  bool done = false;
  std::condition_variable cv;
};

}  // namespace

class Store::Impl {
 public:
  explicit Impl(const StoreOptions& options) : options_(options), state_(options) {
    if (!options_.clock) options_.clock = SystemNow;
  }
  ~Impl() {
    // A snapshot spares the next Open the replay of the whole log; flushing the memtable spares it RocksDB's WAL
    // recovery (re-inserting every logged write into a memtable). After a crash both happen, from the last
    // checkpoint.
    if (db_ && opened_ && options_.snapshot_on_close) {
      const Status s = Checkpoint();
      if (!s.ok()) RECO_LOG_WARN("store: snapshot on close: {}", s.ToString());
    }
    if (db_) {
      const rocksdb::Status s = db_->Flush(rocksdb::FlushOptions());
      if (!s.ok()) RECO_LOG_WARN("store: flush on close of {}: {}", options_.data_dir, s.ToString());
    }
  }

  Status Open();
  // Loads the snapshot file into state_ if it is usable; otherwise leaves state_ empty (full replay) and says why.
  void LoadSnapshot();
  Status Checkpoint();
  std::string SnapshotPath() const { return options_.data_dir + "/reco-state.snapshot"; }
  Status Write(Writer* w);
  Status ResolveAndWrite(std::span<const Event> events, bool sync);
  Status ForEachEvent(const std::function<Status(uint64_t, const Event&)>& fn) const;

  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;

  mutable std::shared_mutex state_mu_;
  StoreState state_;  // guarded by state_mu_

  std::mutex queue_mu_;
  std::deque<Writer*> writers_;  // guarded by queue_mu_; front = the leader
  // Touched only by the current leader (one at a time, ordered by queue_mu_ hand-offs).
  rocksdb::WriteBatch batch_;
  std::vector<Writer*> group_;
  std::unordered_set<uint64_t> registered_;

  std::atomic<int64_t> group_commits_{0};
  bool opened_ = false;  // Open succeeded: only then is state_ worth a snapshot (never write into a foreign dir)
  int64_t replayed_events_ = 0;
  int64_t snapshot_events_ = 0;
};

Status Store::Impl::Open() {
  if (options_.data_dir.empty()) return InvalidArgumentError("store: data_dir is empty");
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec) return InternalError("store: cannot create " + options_.data_dir + ": " + ec.message());

  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_background_jobs = 2;
  options.keep_log_file_num = 4;
  const auto start = std::chrono::steady_clock::now();
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, options_.data_dir, &raw), "store: open " + options_.data_dir));
  db_.reset(raw);

  std::string format;
  const rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), ToSlice(codec::kFormatKey), &format);
  if (got.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    RETURN_IF_ERROR(FromRocks(db_->Put(wo, ToSlice(codec::kFormatKey), ToSlice(codec::kFormatValue)),
                              "store: write format marker in " + options_.data_dir));
  } else if (!got.ok()) {
    return FromRocks(got, "store: read format marker in " + options_.data_dir);
  } else if (format != codec::kFormatValue) {
    return FailedPreconditionError("store: " + options_.data_dir + " holds format '" + format + "', expected '" +
                                   std::string(codec::kFormatValue) + "'");
  }

  // The derived state: a snapshot if there is a usable one, then the catalog (its final state), then the event log
  // from where the snapshot ends (or from the start), in sequence order.
  const auto opened = std::chrono::steady_clock::now();
  std::unique_lock lock(state_mu_);
  if (options_.load_snapshot) LoadSnapshot();
  rocksdb::ReadOptions ro;
  ro.readahead_size = 4 << 20;
  ro.fill_cache = false;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    for (it->Seek(rocksdb::Slice(&codec::kItemTag, 1)); it->Valid(); it->Next()) {
      uint64_t id = 0;
      if (!codec::ParseKey(it->key().ToStringView(), codec::kItemTag, &id)) break;
      ItemInfo item;
      RETURN_IF_ERROR(codec::DecodeItem(id, it->value().ToStringView(), &item));
      state_.PutItem(item);
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "store: read catalog in " + options_.data_dir));
  }
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    for (it->Seek(ToSlice(codec::MakeKey(codec::kEventTag, state_.next_seq()).view())); it->Valid(); it->Next()) {
      uint64_t seq = 0;
      if (!codec::ParseKey(it->key().ToStringView(), codec::kEventTag, &seq)) break;
      StoredEvent event;
      RETURN_IF_ERROR(codec::DecodeEvent(seq, it->value().ToStringView(), &event));
      state_.ApplyEvent(event);
      state_.set_next_seq(seq + 1);
      ++replayed_events_;
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "store: read event log in " + options_.data_dir));
  }
  opened_ = true;
  const auto done = std::chrono::steady_clock::now();
  RECO_LOG_INFO("store: opened {} in {:.2f} s (RocksDB {:.2f} s, {} events from the snapshot, replay of {} events "
                "{:.2f} s; {} users, {} items)",
                options_.data_dir, std::chrono::duration<double>(done - start).count(),
                std::chrono::duration<double>(opened - start).count(), snapshot_events_, replayed_events_,
                std::chrono::duration<double>(done - opened).count(), state_.num_users(), state_.num_items());
  return Status::Ok();
}

void Store::Impl::LoadSnapshot() {
  const std::string path = SnapshotPath();
  std::string image;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return;  // none yet
    image.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  Status status = state_.LoadSnapshot(image);
  // A snapshot must not be ahead of the durable log (e.g. taken after unsynced appends lost with the machine).
  if (status.ok() && state_.next_seq() > 0) {
    std::string value;
    const rocksdb::Status got =
        db_->Get(rocksdb::ReadOptions(), ToSlice(codec::MakeKey(codec::kEventTag, state_.next_seq() - 1).view()),
                 &value);
    if (!got.ok()) status = DataLossError("snapshot ends at event " + std::to_string(state_.next_seq() - 1) +
                                          ", which is not in the log");
  }
  if (!status.ok()) {
    RECO_LOG_WARN("store: ignoring {} ({}); replaying the whole event log", path, status.ToString());
    state_ = StoreState(options_);
    return;
  }
  snapshot_events_ = state_.num_events();
}

Status Store::Impl::Checkpoint() {
  RETURN_IF_ERROR(FromRocks(db_->SyncWAL(), "store: sync WAL of " + options_.data_dir));
  std::string image;
  {
    std::shared_lock read(state_mu_);
    state_.SaveSnapshot(&image);
  }
  // Write beside, fsync, rename: a crash leaves either the old or the new snapshot, never half of one.
  const std::string path = SnapshotPath();
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return InternalError("store: cannot create " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < image.size()) {
    const ssize_t n = ::write(fd, image.data() + done, image.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string err = std::strerror(errno);
      ::close(fd);
      return InternalError("store: write " + tmp + ": " + err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return InternalError("store: fsync " + tmp + ": " + std::strerror(errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return InternalError("store: rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status Store::Impl::Write(Writer* w) {
  std::unique_lock lock(queue_mu_);
  writers_.push_back(w);
  while (!w->done && w != writers_.front()) w->cv.wait(lock);
  if (w->done) return w->status;

  // Leader: take every queued writer up to the group size limit (always at least itself).
  group_.clear();
  size_t group_events = 0;
  bool sync = false;
  for (Writer* x : writers_) {
    if (!group_.empty() && group_events + x->events.size() > static_cast<size_t>(options_.max_group_events)) break;
    group_.push_back(x);
    group_events += x->events.size();
    sync = sync || x->sync;
  }
  lock.unlock();

  // Build one batch: catalog entries, then events, each event's unknown item registered in the catalog. Only the
  // leader mutates state_, so what it reads here under the shared lock is still true when it applies the group.
  batch_.Clear();
  registered_.clear();
  uint64_t seq = state_.next_seq();  // only the leader changes it
  {
    std::shared_lock read(state_mu_);
    char value[codec::kEventValueSize];
    for (const Writer* x : group_) {
      for (const ItemInfo& item : x->items) {
        codec::EncodeItem(item, value);
        batch_.Put(ToSlice(codec::MakeKey(codec::kItemTag, item.item_id).view()),
                   rocksdb::Slice(value, codec::kItemValueSize));
        registered_.insert(item.item_id);
      }
      for (const StoredEvent& event : x->events) {
        if (state_.FindItem(event.item_id) == nullptr && registered_.insert(event.item_id).second) {
          codec::EncodeItem(ItemInfo{event.item_id, event.category_id, true}, value);
          batch_.Put(ToSlice(codec::MakeKey(codec::kItemTag, event.item_id).view()),
                     rocksdb::Slice(value, codec::kItemValueSize));
        }
        codec::EncodeEvent(event, value);
        batch_.Put(ToSlice(codec::MakeKey(codec::kEventTag, seq++).view()),
                   rocksdb::Slice(value, codec::kEventValueSize));
      }
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  Status status = FromRocks(db_->Write(wo, &batch_), "store: write to " + options_.data_dir);
  if (status.ok()) {
    std::unique_lock write(state_mu_);
    for (const Writer* x : group_) {
      for (const ItemInfo& item : x->items) state_.PutItem(item);
      for (const StoredEvent& event : x->events) state_.ApplyEvent(event);
    }
    state_.set_next_seq(seq);
  }
  group_commits_.fetch_add(1, std::memory_order_relaxed);

  lock.lock();
  for (Writer* x : group_) {
    writers_.pop_front();
    if (x != w) {
      x->status = status;
      x->done = true;
      x->cv.notify_one();
    }
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  return status;
}

Status Store::Impl::ResolveAndWrite(std::span<const Event> events, bool sync) {
  // The caller blocks until its writer is done, so a thread-local buffer can back the writer's span.
  thread_local std::vector<StoredEvent> resolved;
  resolved.clear();
  resolved.reserve(events.size());
  const int64_t now = options_.clock();
  {
    std::shared_lock read(state_mu_);
    for (size_t i = 0; i < events.size(); ++i) {
      const Event& e = events[i];
      if (!ValidateEvent(e, {}).ok()) return ValidateEvent(e, "events[" + std::to_string(i) + "]");
      StoredEvent s{e.user_id, e.item_id, 0, e.behavior, e.timestamp == 0 ? now : e.timestamp};
      if (e.category_id != kUnknownCategory) {
        s.category_id = static_cast<uint64_t>(e.category_id);
      } else if (const ItemInfo* item = state_.FindItem(e.item_id); item != nullptr) {
        s.category_id = item->category_id;
      } else {
        // An earlier event of the same call may introduce the item with its category.
        bool found = false;
        for (size_t j = 0; j < i && !found; ++j) {
          if (events[j].item_id == e.item_id && events[j].category_id != kUnknownCategory) {
            s.category_id = static_cast<uint64_t>(events[j].category_id);
            found = true;
          }
        }
        if (!found) {
          return InvalidArgumentError("events[" + std::to_string(i) + "].category_id: missing, and item " +
                                      std::to_string(e.item_id) + " is not in the catalog");
        }
      }
      resolved.push_back(s);
    }
  }
  if (resolved.empty()) return Status::Ok();
  Writer w;
  w.events = resolved;
  w.sync = sync;
  return Write(&w);
}

Status Store::Impl::ForEachEvent(const std::function<Status(uint64_t, const Event&)>& fn) const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek(rocksdb::Slice(&codec::kEventTag, 1)); it->Valid(); it->Next()) {
    uint64_t seq = 0;
    if (!codec::ParseKey(it->key().ToStringView(), codec::kEventTag, &seq)) break;
    StoredEvent s;
    RETURN_IF_ERROR(codec::DecodeEvent(seq, it->value().ToStringView(), &s));
    RETURN_IF_ERROR(fn(seq, Event{s.user_id, s.item_id, static_cast<int64_t>(s.category_id), s.behavior,
                                  s.timestamp}));
  }
  return FromRocks(it->status(), "store: read event log in " + options_.data_dir);
}

// --- Store ---

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  RETURN_IF_ERROR(impl->Open());
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Status Store::Append(std::span<const Event> events) { return impl_->ResolveAndWrite(events, impl_->options_.sync); }
Status Store::AppendUnsynced(std::span<const Event> events) { return impl_->ResolveAndWrite(events, false); }

Status Store::Checkpoint() { return impl_->Checkpoint(); }

Status Store::Sync() {
  return FromRocks(impl_->db_->SyncWAL(), "store: sync WAL of " + impl_->options_.data_dir);
}

Status Store::History(uint64_t user_id, int max, std::vector<HistoryEntry>* out) const {
  std::shared_lock read(impl_->state_mu_);
  const auto h = impl_->state_.History(user_id, max);
  out->assign(h.begin(), h.end());
  return Status::Ok();
}

bool Store::HasBought(uint64_t user_id, uint64_t item_id) const {
  std::shared_lock read(impl_->state_mu_);
  return impl_->state_.HasBought(user_id, item_id);
}

void Store::HasBoughtBatch(uint64_t user_id, std::span<const uint64_t> item_ids, std::vector<uint8_t>* out) const {
  out->resize(item_ids.size());
  std::shared_lock read(impl_->state_mu_);
  for (size_t i = 0; i < item_ids.size(); ++i) (*out)[i] = impl_->state_.HasBought(user_id, item_ids[i]) ? 1 : 0;
}

Status Store::PutItems(std::span<const ItemInfo> items) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].item_id > data::kMaxRawId || items[i].category_id > data::kMaxRawId) {
      return InvalidArgumentError("items[" + std::to_string(i) + "]: item " + std::to_string(items[i].item_id) +
                                  " / category " + std::to_string(items[i].category_id) + ": ids must be ≤ 2^53");
    }
  }
  if (items.empty()) return Status::Ok();
  Writer w;
  w.items = items;
  w.sync = impl_->options_.sync;
  return impl_->Write(&w);
}

std::optional<ItemInfo> Store::GetItem(uint64_t item_id) const {
  std::shared_lock read(impl_->state_mu_);
  const ItemInfo* item = impl_->state_.FindItem(item_id);
  if (item == nullptr) return std::nullopt;
  return *item;
}

void Store::CoVisited(uint64_t item_id, std::vector<Neighbor>* out) const {
  const Reader reader = Read();
  const auto v = reader.CoVisited(item_id);
  out->assign(v.begin(), v.end());
}

void Store::TopItemsInCategory(uint64_t category_id, int max, std::vector<PopularItem>* out) const {
  const Reader reader = Read();
  const auto v = reader.TopItemsInCategory(category_id, max);
  out->assign(v.begin(), v.end());
}

void Store::TrendingItems(int max, std::vector<PopularItem>* out) const {
  const Reader reader = Read();
  const auto v = reader.TrendingItems(max);
  out->assign(v.begin(), v.end());
}

Store::Reader Store::Read() const { return Reader(impl_->state_mu_, impl_->state_); }

const ItemInfo* Store::Reader::FindItem(uint64_t item_id) const { return state_->FindItem(item_id); }
std::span<const Neighbor> Store::Reader::CoVisited(uint64_t item_id) const { return state_->CoVisited(item_id); }
std::span<const PopularItem> Store::Reader::TopItemsInCategory(uint64_t category_id, int max) const {
  return state_->TopItemsInCategory(category_id, max);
}
std::span<const PopularItem> Store::Reader::TrendingItems(int max) const { return state_->TrendingItems(max); }
bool Store::Reader::HasBought(uint64_t user_id, uint64_t item_id) const {
  return state_->HasBought(user_id, item_id);
}

Status Store::ForEachEvent(const std::function<Status(uint64_t seq, const Event&)>& fn) const {
  return impl_->ForEachEvent(fn);
}

void Store::SampleUsers(int max, int min_history, std::vector<uint64_t>* out) const {
  std::shared_lock read(impl_->state_mu_);
  impl_->state_.SampleUsers(max, min_history, out);
}

StoreStats Store::stats() const {
  StoreStats s;
  std::shared_lock read(impl_->state_mu_);
  s.num_users = impl_->state_.num_users();
  s.num_items = impl_->state_.num_items();
  s.events_total = impl_->state_.num_events();
  s.group_commits = impl_->group_commits_.load(std::memory_order_relaxed);
  s.replayed_events = impl_->replayed_events_;
  s.snapshot_events = impl_->snapshot_events_;
  return s;
}

const StoreOptions& Store::options() const { return impl_->options_; }
int64_t Store::Now() const { return impl_->options_.clock(); }

}  // namespace reco::online
