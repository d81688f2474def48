#include "agent/queue/queue.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <functional>
#include <iterator>
#include <limits>
#include <span>

#include "agent/queue/segment.h"

namespace edgerepl::queue {

struct Queue::Writer {
  std::string_view payload;
  uint32_t points = 0;
  int64_t enqueue_time_ns = 0;
  char header[kRecordHeaderBytes] = {};  // encoded by the writer itself
  bool sync_only = false;                // the interval syncer or Close: commits no record
  uint64_t group_seq = 0;                // GUARDED_BY(mu_); its group once written, 0 while pending
  uint64_t position = 0;                 // GUARDED_BY(mu_); once written
  bool done = false;                     // GUARDED_BY(mu_)
  Status status;
  size_t slot = 0;  // waits on wake_[slot]
  uint64_t size() const { return sync_only ? 0 : kRecordHeaderBytes + payload.size(); }
};

namespace {

Cursor CursorAt(uint64_t position) {
  return Cursor{PositionSegment(position), PositionOffset(position)};
}

// Every append failure reads as a full queue to the caller (DESIGN §3: ENOSPC behaves like a full
// queue); the message and errno keep the cause.
Status AsNoSpace(const Status& st) {
  if (st.IsNoSpace()) return st;
  return Status(StatusCode::kNoSpace, "queue cannot append: " + st.message(), st.errno_value());
}

}  // namespace

Queue::Queue(const QueueOptions& options, FileSystem& fs, const Clock& clock, QueueMetrics* metrics)
    : options_(options),
      fs_(fs),
      clock_(clock),
      metrics_(metrics),
      max_bytes_(options.max_bytes),
      max_age_seconds_(options.max_age_seconds) {}

Result<std::unique_ptr<Queue>> Queue::Open(const QueueOptions& options, FileSystem& fs,
                                           const Clock& clock, QueueMetrics* metrics) {
  if (options.dir.empty()) return Status::InvalidArgument("queue directory is empty");
  if (options.segment_bytes < kSegmentHeaderBytes + kRecordHeaderBytes ||
      options.segment_bytes > kMaxSegmentBytes) {
    return Status::InvalidArgument("segment_bytes " + std::to_string(options.segment_bytes) +
                                   " out of range");
  }
  if (options.durability == config::Durability::kInterval &&
      options.sync_interval <= std::chrono::milliseconds::zero()) {
    return Status::InvalidArgument("sync_interval must be positive");
  }
  std::unique_ptr<Queue> q(new Queue(options, fs, clock, metrics));
  EDGEREPL_RETURN_IF_ERROR(q->Recover());
  if (options.durability == config::Durability::kInterval) {
    q->sync_thread_ = std::thread([raw = q.get()] { raw->SyncLoop(); });
  }
  return q;
}

Queue::~Queue() {
  Status st = Close();
  if (!st.ok()) spdlog::error("queue {}: close: {}", options_.dir, st.ToString());
}

// ---- recovery --------------------------------------------------------------------------------

namespace {

class DropReporter final : public Reporter {
 public:
  DropReporter(const std::string& dir, std::function<void(uint64_t, uint64_t)> drop)
      : dir_(dir), drop_(std::move(drop)) {}
  void Corruption(uint64_t points, uint64_t bytes, const Status& why) override {
    spdlog::warn("queue {}: dropped {} bytes: {}", dir_, bytes, why.message());
    drop_(points, bytes);
  }

 private:
  const std::string& dir_;
  std::function<void(uint64_t, uint64_t)> drop_;
};

}  // namespace

Status Queue::Recover() {
  const std::string& dir = options_.dir;
  EDGEREPL_RETURN_IF_ERROR(fs_.MkdirAll(dir));
  // A queue being opened is in use: it is no longer an orphan.
  EDGEREPL_RETURN_IF_ERROR(fs_.Unlink(dir + "/" + kOrphanMarkerFileName));
  EDGEREPL_RETURN_IF_ERROR(fs_.Unlink(dir + "/" + kCursorTempFileName));

  Result<std::vector<DirEntry>> entries = fs_.List(dir);
  if (!entries.ok()) return entries.status();
  std::set<uint64_t> found;
  for (const DirEntry& e : *entries) {
    if (e.is_dir) continue;
    if (std::optional<uint64_t> n = ParseSegmentFileName(e.name)) found.insert(*n);
  }
  Result<Cursor> cursor = LoadCursor(fs_, dir);
  bool use_cursor = cursor.ok() && found.count(cursor->segment) > 0;
  if (!cursor.ok() && !cursor.status().IsNotFound()) {
    spdlog::warn("queue {}: {}; resending from the oldest segment", dir, cursor.status().message());
  } else if (cursor.ok() && !use_cursor && !found.empty()) {
    spdlog::warn("queue {}: cursor names missing segment {}; resending from the oldest segment",
                 dir, cursor->segment);
  }
  uint64_t highest = found.empty() ? 0 : *found.rbegin();
  if (cursor.ok()) highest = std::max(highest, cursor->segment);
  if (use_cursor) {
    // Segments before the cursor's were fully acknowledged; their deletion did not finish.
    for (auto it = found.begin(); it != found.end() && *it < cursor->segment;) {
      EDGEREPL_RETURN_IF_ERROR(fs_.Unlink(dir + "/" + SegmentFileName(*it)));
      it = found.erase(it);
    }
  }

  std::unique_lock<std::mutex> lock(mu_);
  segments_ = found;
  bool reusable = false;
  uint64_t end = 0;
  // An append can be cut short only in the newest segment holding records: the one after it, if
  // any, was created ahead of time (at most a header) while that segment still took appends.
  uint64_t tail_from = highest;
  if (found.size() >= 2 && found.count(highest) > 0) {
    Result<FilePtr> f = fs_.Open(dir + "/" + SegmentFileName(highest), /*create=*/false);
    if (!f.ok()) return f.status();
    Result<uint64_t> size = (*f)->Size();
    if (!size.ok()) return size.status();
    if (*size <= kSegmentHeaderBytes) tail_from = *std::prev(found.find(highest));
  }
  for (uint64_t n : found) {
    uint64_t start = kSegmentHeaderBytes;
    if (use_cursor && n == cursor->segment) start = std::max(start, cursor->offset);
    EDGEREPL_RETURN_IF_ERROR(RecoverSegment(n, start, n >= tail_from, &reusable, &end));
  }
  next_segment_ = highest + 1;
  lock.unlock();

  if (reusable) {
    Result<std::unique_ptr<SegmentWriter>> w = SegmentWriter::Reopen(fs_, dir, highest, end);
    if (!w.ok()) return w.status();
    active_ = std::move(*w);
  } else {
    Result<std::unique_ptr<SegmentWriter>> w = SegmentWriter::Create(fs_, dir, next_segment_);
    if (!w.ok()) return w.status();
    active_ = std::move(*w);
    ++next_segment_;
  }
  lock.lock();
  segments_.insert(active_->number());
  synced_end_ = write_end_ = active_->end();
  tail_position_ = PackPosition(active_->number(), active_->end());
  UpdateGaugesLocked();
  return Status::Ok();
}

Status Queue::RecoverSegment(uint64_t number, uint64_t start, bool last, bool* reusable,
                             uint64_t* end) {
  *reusable = false;
  std::string path = options_.dir + "/" + SegmentFileName(number);
  Result<std::string> data = ReadWholeFile(fs_, path);
  if (!data.ok()) return data.status();
  DropReporter reporter(options_.dir, [this](uint64_t points, uint64_t bytes) {
    DropLocked(kDropCorrupt, points, bytes);
  });
  switch (CheckSegmentHeader(*data, number)) {
    case HeaderCheck::kOk:
      break;
    case HeaderCheck::kShort:
      // Too short to hold a record: the crash came while the segment was being created.
      if (!last && !data->empty()) {
        reporter.Corruption(0, data->size(), Status::Corruption(path + ": cut short"));
      }
      segments_.erase(number);
      return fs_.Unlink(path);
    case HeaderCheck::kUnsupportedVersion:
      // Written by another format version: refuse rather than drop data this build cannot read.
      return Status::Corruption(path + ": unsupported segment format version");
    case HeaderCheck::kDamaged:
    case HeaderCheck::kWrongNumber:
      // The records after it may still verify; never append to this file again.
      reporter.Corruption(0, kSegmentHeaderBytes, Status::Corruption(path + ": bad header"));
      last = false;
      break;
  }
  start = std::min<uint64_t>(start, data->size());
  ScanResult scan = ScanSegment(*data, start, last, number, &reporter);
  if (scan.torn_tail) {
    // Never acknowledged to a writer (it would have been whole); cut it so appends continue
    // from a clean end.
    spdlog::info("queue {}: truncating torn tail of {} at {}", options_.dir, path, scan.end);
    Result<FilePtr> f = fs_.Open(path, /*create=*/false);
    if (!f.ok()) return f.status();
    EDGEREPL_RETURN_IF_ERROR((*f)->Truncate(scan.end));
    EDGEREPL_RETURN_IF_ERROR((*f)->Sync());
  }
  for (const RecordView& r : scan.records) {
    Entry e{PackPosition(number, r.offset), static_cast<uint32_t>(r.payload.size()), r.points,
            r.enqueue_time_ns};
    bytes_ += e.size();
    pending_points_ += e.points;
    index_.push_back(e);
  }
  *reusable = last;
  *end = scan.torn_tail ? scan.end : data->size();
  return Status::Ok();
}

// ---- append ----------------------------------------------------------------------------------

bool Queue::HasRoomFor(uint64_t bytes) const {
  bool disk_full;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!sticky_.ok() || bytes_ + reserved_bytes_ + kRecordHeaderBytes + bytes > max_bytes_) {
      return false;
    }
    disk_full = disk_full_;
    // Everything acknowledged: the next append deletes the acknowledged active segment before
    // it writes (the space comes back only then), so waiting for free space would wait forever.
    if (bytes_ == 0) return true;
  }
  if (!disk_full) return true;
  // The last write found the disk full: the queue stays full for queueFullPolicy reject until
  // the disk has room for this record again (the next successful write clears the flag), so a
  // rejected write is never written locally and then refused by the queue.
  auto free = fs_.FreeBytes(options_.dir);
  return free.ok() && *free >= kRecordHeaderBytes + bytes + kDiskFullMarginBytes;
}

bool Queue::Full() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refusing_ || !sticky_.ok() || bytes_ + reserved_bytes_ + kRecordHeaderBytes > max_bytes_;
}

Status Queue::Append(std::string_view payload, uint32_t points) {
  if (payload.size() > kMaxPayloadBytes) {
    return Status::InvalidArgument("record of " + std::to_string(payload.size()) +
                                   " bytes exceeds the queue's limit");
  }
  Writer w;
  w.payload = payload;
  w.points = points;
  w.enqueue_time_ns = clock_.WallNowNanos();
  // The CRC over the payload is the only per-byte work of an append: every writer pays its own,
  // in parallel, before the lock, so the group's leader only gathers.
  EncodeRecordHeader(w.enqueue_time_ns, points, payload, w.header);
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return Status::Aborted("queue closed");
  if (!sticky_.ok()) {
    refusing_ = true;
    return AsNoSpace(Status(sticky_.code(), "refusing appends until reopened: " + sticky_.message(),
                            sticky_.errno_value()));
  }
  if (bytes_ + reserved_bytes_ + w.size() > max_bytes_) {
    refusing_ = true;
    return Status::NoSpace("queue full: " + std::to_string(bytes_ + reserved_bytes_) + " of " +
                           std::to_string(max_bytes_) + " bytes used");
  }
  reserved_bytes_ += w.size();
  w.slot = next_slot_++ % wake_.size();
  ++arrived_;
  last_arrival_ = std::chrono::steady_clock::now();
  return WaitAsWriter(&w, lock);
}

// A writer waits until it is answered, taking on whichever stage is free when it is its turn:
// the front of pending_ writes the next group while another thread's sync may be running, and
// any written, unanswered writer leads the next sync when none is running.
Status Queue::WaitAsWriter(Writer* w, std::unique_lock<std::mutex>& lock) {
  pending_.push_back(w);
  while (!w->done) {
    if (w->group_seq == 0) {
      if (!writing_ && !hold_writes_ && pending_.front() == w && WriteGroup(lock)) continue;
    } else if (!syncing_) {
      SyncGroups(lock);
      continue;
    }
    wake_[w->slot].wait(lock);
  }
  return w->status;
}

void Queue::FinishLocked(Writer* w, const Status& st, std::vector<size_t>* wake_later) {
  reserved_bytes_ -= w->size();
  w->status = st;
  w->done = true;
  if (wake_later != nullptr) {
    wake_later->push_back(w->slot);
  } else {
    wake_[w->slot].notify_all();
  }
}

void Queue::IndexLocked(const Writer* w) {
  Entry e{w->position, static_cast<uint32_t>(w->payload.size()), w->points, w->enqueue_time_ns};
  bytes_ += e.size();
  pending_points_ += e.points;
  index_.push_back(e);
  tail_position_ = e.position + e.size();
  if (metrics_ != nullptr) metrics_->Enqueued(w->points, w->payload.size());
}

// Whoever can now take a free stage: the next group's writer, and a leader for the next sync.
void Queue::WakeNextLocked() {
  if (!writing_ && !hold_writes_ && !pending_.empty()) wake_[pending_.front()->slot].notify_all();
  if (!syncing_ && !unsynced_.empty()) wake_[unsynced_.front().writers.front()->slot].notify_all();
}

// Write stage. The front writer takes every pending writer that fits the group cap and the
// current segment, in append order, and writes their records with one gather write, without
// holding mu_; a sync of earlier groups may be running meanwhile. In durability: sync the group
// then waits in unsynced_ for a sync that starts after this write returned; in interval mode
// its records are answered at once.
// When the group must roll over to a new segment while earlier groups still await their sync,
// it writes nothing: a segment is complete and durable before records go into the next. It then
// creates the next segment meanwhile (once) and returns true to be called again, or returns
// false and is woken when the syncs are done.
// REQUIRES: lock held, pending_.front() leads, !writing_, !hold_writes_. Returns with lock held.
bool Queue::WriteGroup(std::unique_lock<std::mutex>& lock) {
  std::vector<Writer*> group;
  bool has_data = false;
  bool roll = false;
  uint64_t data_bytes = 0;
  const uint64_t active_end = write_end_;
  for (Writer* w : pending_) {
    if (w->sync_only) {
      group.push_back(w);
      continue;
    }
    uint64_t size = w->size();
    if (!has_data) {
      // A record never spans segments; one bigger than a segment gets a segment of its own.
      if (active_released_ ||
          (active_end > kSegmentHeaderBytes && active_end + size > options_.segment_bytes)) {
        roll = true;
      }
    } else {
      uint64_t base = roll ? kSegmentHeaderBytes : active_end;
      if (base + data_bytes + size > options_.segment_bytes) break;
      if (data_bytes + size > kMaxGroupBytes) break;
    }
    group.push_back(w);
    data_bytes += size;
    has_data = true;
  }
  // Appends were refused (the disk is full) and every record of the active segment has since
  // been acknowledged: only a new segment frees that space, even when the whole queue fits in
  // one segment (a volume smaller than segment_bytes).
  const bool replace_active =
      has_data && !roll && write_refused_ && index_.empty() && active_end > kSegmentHeaderBytes;
  if (replace_active) roll = true;
  if (roll && (syncing_ || !unsynced_.empty())) {
    roll_waiting_ = true;
    if (!replace_active && !active_released_ && prepared_ == nullptr && !prepare_failed_) {
      // Create the next segment (header, fdatasync, directory fsync) while the last syncs of
      // this one run, instead of after them; only the switch to it waits for them.
      writing_ = true;
      const uint64_t number = next_segment_;
      lock.unlock();
      Result<std::unique_ptr<SegmentWriter>> next =
          SegmentWriter::Create(fs_, options_.dir, number);
      lock.lock();
      writing_ = false;
      if (next.ok()) {
        prepared_ = std::move(*next);
      } else {
        // The roll-over tries again and fails the group if it still cannot.
        prepare_failed_ = true;
        spdlog::warn("queue {}: creating the next segment: {}", options_.dir,
                     next.status().ToString());
      }
      stage_cv_.notify_all();
      return true;  // look again: the syncs may have finished meanwhile
    }
    WakeNextLocked();
    return false;
  }
  roll_waiting_ = false;
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(group.size()));
  writing_ = true;
  const uint64_t old_active = active_->number();
  const bool sync_before_roll = synced_end_ != write_end_;
  Status st = sticky_;
  lock.unlock();

  if (st.ok() && replace_active) ReleaseAcknowledgedActive(old_active);
  bool damaged = false;
  uint64_t start = 0;
  uint64_t segment = 0;
  if (st.ok() && roll) st = RollOver(sync_before_roll);
  if (st.ok()) {
    start = active_->end();
    segment = active_->number();
    if (has_data) {
      std::vector<std::string_view> parts;
      parts.reserve(2 * group.size());
      for (Writer* w : group) {
        if (w->sync_only) continue;
        parts.emplace_back(w->header, kRecordHeaderBytes);
        parts.push_back(w->payload);
      }
      st = active_->AppendV(parts, data_bytes, &damaged);
    }
  }

  lock.lock();
  writing_ = false;
  segments_.insert(active_->number());
  write_end_ = active_->end();
  if (!st.ok()) {
    refusing_ = write_refused_ = true;
    if (st.errno_value() == ENOSPC) disk_full_ = true;
    failed_seq_ = write_seq_;
    spdlog::error("queue {}: append failed: {}", options_.dir, st.ToString());
    if (damaged && sticky_.ok()) sticky_ = st;
    for (Writer* w : group) FinishLocked(w, w->sync_only ? st : AsNoSpace(st));
  } else {
    const bool sync = options_.durability == config::Durability::kSync;
    Group g;
    g.seq = ++write_seq_;
    g.segment = segment;
    g.end = write_end_;
    uint64_t offset = start;
    for (Writer* w : group) {
      if (w->sync_only) continue;
      w->position = PackPosition(segment, offset);
      offset += w->size();
      if (sync) {
        g.writers.push_back(w);
      } else {
        IndexLocked(w);
        FinishLocked(w, Status::Ok());
      }
    }
    if (has_data && !sync) refusing_ = write_refused_ = disk_full_ = false;
    // A sync-only writer (the interval syncer, Close) needs a sync covering every byte written
    // before it; with nothing unsynced it is done.
    const bool unsynced_bytes = synced_end_ != write_end_ || !unsynced_.empty();
    for (Writer* w : group) {
      if (!w->sync_only) continue;
      if (unsynced_bytes || !g.writers.empty()) {
        g.writers.push_back(w);
      } else {
        FinishLocked(w, Status::Ok());
      }
    }
    if (!g.writers.empty()) {
      for (Writer* w : g.writers) w->group_seq = g.seq;
      unsynced_.push_back(std::move(g));
    }
  }
  // With nothing awaiting a sync, every byte up to the write end is indexed or was cut back.
  if (unsynced_.empty()) tail_position_ = PackPosition(active_->number(), write_end_);
  stage_cv_.notify_all();
  WakeNextLocked();
  UpdateGaugesLocked();
  return true;
}

// Sync stage: one fdatasync answers every group written before it started. It runs without mu_,
// so the next group is written meanwhile; that group waits for the next sync.
// REQUIRES: lock held, !syncing_, unsynced_ not empty. Returns with lock held.
void Queue::SyncGroups(std::unique_lock<std::mutex>& lock) {
  syncing_ = true;
  WaitForCohortLocked(lock);
  const uint64_t target_seq = write_seq_;
  const uint64_t target_end = write_end_;
  const uint64_t from = synced_end_;
  // No roll-over runs while syncing_ is set, so the active segment stays this one.
  SegmentWriter* segment = active_.get();
  lock.unlock();

  auto t0 = clock_.Now();
  auto real_t0 = std::chrono::steady_clock::now();
  Status st = segment->Sync();
  if (metrics_ != nullptr) {
    metrics_->ObserveFsync(std::chrono::duration<double>(clock_.Now() - t0).count());
  }

  lock.lock();
  last_sync_ = std::chrono::steady_clock::now() - real_t0;
  std::vector<size_t> wake_later;
  if (st.ok()) {
    synced_end_ = target_end;
    size_t released = 0;
    while (!unsynced_.empty() && unsynced_.front().seq <= target_seq) {
      Group& g = unsynced_.front();
      for (Writer* w : g.writers) {
        if (!w->sync_only) {
          IndexLocked(w);
          ++released;
          // Written after the last failure: the disk takes appends again.
          if (g.seq > failed_seq_) refusing_ = write_refused_ = disk_full_ = false;
        }
        FinishLocked(w, Status::Ok(), &wake_later);
      }
      unsynced_.pop_front();
    }
    released_ = released;
    released_bytes_ = target_end - from;
    arrived_ = 0;
    if (unsynced_.empty()) tail_position_ = PackPosition(segment->number(), write_end_);
  } else {
    FailSyncLocked(lock, st, target_seq, from);
  }
  // The next sync may start before the answered writers are woken: waking a whole cohort takes
  // a thread longer than an fdatasync on a fast disk, and the disk would idle meanwhile.
  syncing_ = false;
  stage_cv_.notify_all();
  WakeNextLocked();
  UpdateGaugesLocked();
  if (!wake_later.empty()) {
    // Woken under mu_, each answered writer would block on it at once, and a sync answers up to
    // a whole cohort. The condition variables are the queue's and waking_ holds Close off, so
    // waking them unlocked is safe even for a writer that has already returned.
    ++waking_;
    lock.unlock();
    for (size_t slot : wake_later) wake_[slot].notify_all();
    lock.lock();
    if (--waking_ == 0) stage_cv_.notify_all();
  }
}

// Before a sync starts, gives the writers its previous sync answered a moment to come back, so
// that one sync covers them instead of the first few taking a sync of their own and the rest
// waiting a whole extra one. It waits only while they keep arriving (a gap of an eighth of the
// last fdatasync ends it) and never longer than the last fdatasync took, so a writer that does
// not come back costs at most that; a lone writer never waits. Real time, not clock_: it paces
// threads against the disk.
// After a sync of kSplitCohortBytes or more it waits only for half as many bytes. The other half
// is written while this sync runs and goes into the next, which can then start at once: the disk
// never idles while a large cohort is woken and comes back, which on 2 cores takes about as long
// as its fdatasync (64 writers × 64 KiB: 0.85–0.91× of the file loop before, 1.09–1.41× after).
// REQUIRES: lock held, syncing_ set by the caller.
void Queue::WaitForCohortLocked(std::unique_lock<std::mutex>& lock) {
  if (options_.durability != config::Durability::kSync) return;
  const auto limit = std::min<std::chrono::steady_clock::duration>(last_sync_, kMaxCohortWait);
  if (limit <= std::chrono::steady_clock::duration::zero()) return;
  const auto gap = limit / 8;
  const auto start = std::chrono::steady_clock::now();
  const uint64_t split =
      released_bytes_ >= kSplitCohortBytes ? released_bytes_ / 2 : kMaxGroupBytes;
  while (!closed_ && !roll_waiting_ && !hold_writes_ && write_end_ - synced_end_ < split &&
         (writing_ || !pending_.empty() || arrived_ < released_)) {
    auto deadline = std::min(start + limit, std::max(last_arrival_, start) + gap);
    if (writing_ || !pending_.empty()) deadline = start + limit;  // a write ends with a notify
    if (std::chrono::steady_clock::now() >= deadline) break;
    stage_cv_.wait_until(lock, deadline);
  }
}

// A failed fdatasync may have dropped the dirty pages, so the bytes it covered are in doubt. In
// durability: sync none of them was answered: cut the file back to the last good sync, fail
// exactly the groups the sync covered, and queue the groups written during it to be written
// again, in order. If that cut fails, or (interval mode) answered records were among the bytes,
// stop appending until reopen.
// REQUIRES: lock held, syncing_. Returns with lock held.
void Queue::FailSyncLocked(std::unique_lock<std::mutex>& lock, const Status& st,
                           uint64_t target_seq, uint64_t from) {
  spdlog::error("queue {}: append failed: {}", options_.dir, st.ToString());
  refusing_ = write_refused_ = true;
  if (st.errno_value() == ENOSPC) disk_full_ = true;
  failed_seq_ = write_seq_;
  hold_writes_ = true;  // the bytes after the failed ones are about to be cut off too
  while (writing_) stage_cv_.wait(lock);
  bool recovered = false;
  if (options_.durability == config::Durability::kSync && sticky_.ok()) {
    lock.unlock();
    recovered = active_->TruncateTo(from).ok();
    lock.lock();
  }
  std::vector<Writer*> again;
  for (Group& g : unsynced_) {
    for (Writer* w : g.writers) {
      if (g.seq <= target_seq || !recovered) {
        FinishLocked(w, w->sync_only ? st : AsNoSpace(st));
      } else {
        w->group_seq = 0;
        again.push_back(w);
      }
    }
  }
  unsynced_.clear();
  if (recovered) {
    synced_end_ = write_end_ = from;
    pending_.insert(pending_.begin(), again.begin(), again.end());
  } else if (sticky_.ok()) {
    sticky_ = st;
  }
  tail_position_ = PackPosition(active_->number(), write_end_);
  hold_writes_ = false;
}

// Deletes the active segment, all of whose records are acknowledged, before the roll-over
// creates the next: on a full disk the new segment's header needs the space this frees. The
// reader's cached descriptor is closed too, or the space would stay allocated. A crash in
// between finds the cursor naming a missing segment and starts at the oldest one left.
// REQUIRES: the caller leads the current group (owns active_), mu_ not held.
void Queue::ReleaseAcknowledgedActive(uint64_t number) {
  {
    std::lock_guard<std::mutex> read_lock(read_mu_);
    read_files_.erase(number);
  }
  Status st = fs_.Unlink(options_.dir + "/" + SegmentFileName(number));
  if (!st.ok()) {
    spdlog::warn("queue {}: {}", options_.dir, st.ToString());
    return;
  }
  // The writer's descriptor keeps the unlinked file's blocks until the roll-over replaces it,
  // and the roll-over needs some of them for the next header: free them now. From here on
  // nothing may be appended to this file, so every group rolls over until one succeeds.
  active_released_ = true;
  st = active_->TruncateTo(0);
  if (!st.ok()) spdlog::warn("queue {}: {}", options_.dir, st.ToString());
  std::lock_guard<std::mutex> lock(mu_);
  synced_end_ = write_end_ = active_->end();
  segments_.erase(number);
}

// `sync_first`: the old segment has unsynced bytes (interval mode).
// REQUIRES: the caller leads the current group (owns active_), no sync running, mu_ not held.
Status Queue::RollOver(bool sync_first) {
  if (sync_first) {
    // Interval mode: the old segment's records must be durable before a later one exists.
    Status st = SyncActive();
    if (!st.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      if (sticky_.ok()) sticky_ = st;
      return st;
    }
  }
  prepare_failed_ = false;
  std::unique_ptr<SegmentWriter> next = std::move(prepared_);
  if (next == nullptr) {
    Result<std::unique_ptr<SegmentWriter>> created =
        SegmentWriter::Create(fs_, options_.dir, next_segment_);
    if (!created.ok()) return created.status();
    next = std::move(*created);
  }
  ++next_segment_;
  active_ = std::move(next);
  active_released_ = false;
  std::lock_guard<std::mutex> lock(mu_);
  synced_end_ = write_end_ = active_->end();
  return Status::Ok();
}

Status Queue::SyncActive() {
  auto t0 = clock_.Now();
  Status st = active_->Sync();
  if (metrics_ != nullptr) {
    metrics_->ObserveFsync(std::chrono::duration<double>(clock_.Now() - t0).count());
  }
  if (st.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    synced_end_ = active_->end();
  }
  return st;
}

void Queue::SyncLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!closed_) {
    sync_cv_.wait_for(lock, options_.sync_interval, [this] { return closed_; });
    if (closed_ || synced_end_ == write_end_ || !sticky_.ok()) continue;
    Writer w;
    w.sync_only = true;
    Status st = WaitAsWriter(&w, lock);
    if (!st.ok()) spdlog::error("queue {}: interval sync: {}", options_.dir, st.ToString());
  }
}

Status Queue::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::Ok();
    closed_ = true;
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  Status st;
  if (active_ != nullptr) {
    // Queued behind every pending append; syncs what interval mode left unsynced.
    std::unique_lock<std::mutex> lock(mu_);
    Writer w;
    w.sync_only = true;
    st = WaitAsWriter(&w, lock);
    // Writers that a failed sync sent back to be written again may still be at work.
    stage_cv_.wait(lock, [this] {
      return !writing_ && !syncing_ && waking_ == 0 && pending_.empty() && unsynced_.empty();
    });
  }
  if (prepared_ != nullptr) {
    // Never used: remove it (recovery copes with it as well, after a crash).
    prepared_.reset();
    Status gone = fs_.Unlink(options_.dir + "/" + SegmentFileName(next_segment_));
    if (!gone.ok()) spdlog::warn("queue {}: {}", options_.dir, gone.ToString());
  }
  std::lock_guard<std::mutex> read_lock(read_mu_);
  read_files_.clear();
  active_.reset();
  return st;
}

// ---- read side -------------------------------------------------------------------------------

Result<File*> Queue::ReadFile(uint64_t segment) {
  auto it = read_files_.find(segment);
  if (it != read_files_.end()) return it->second.get();
  Result<FilePtr> f = fs_.Open(options_.dir + "/" + SegmentFileName(segment), /*create=*/false);
  if (!f.ok()) return f.status();
  return read_files_.emplace(segment, std::move(*f)).first->second.get();
}

Result<std::vector<Record>> Queue::ReadNext(size_t max_bytes) {
  std::lock_guard<std::mutex> read_lock(read_mu_);
  std::vector<size_t> want;  // indexes into index_, stable: only this thread pops the front
  std::vector<Entry> entries;
  size_t scan_end;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t cutoff = std::numeric_limits<int64_t>::min();
    if (max_age_seconds_ > 0) cutoff = clock_.WallNowNanos() - max_age_seconds_ * 1000000000;
    uint64_t payload_bytes = 0;
    size_t i = handed_out_;
    for (; i < index_.size() && (want.empty() || payload_bytes < max_bytes); ++i) {
      Entry& e = index_[i];
      if (e.dropped) continue;
      if (e.enqueue_time_ns < cutoff) {
        e.dropped = true;
        ++dropped_entries_;
        pending_points_ -= e.points;
        DropLocked(kDropExpired, e.points, e.length);
        continue;
      }
      want.push_back(i);
      entries.push_back(e);
      payload_bytes += e.length;
    }
    scan_end = i;
  }

  // Each run of adjacent records in one segment is one scatter read: headers into `headers`,
  // payloads straight into the records handed out.
  std::vector<Record> out;
  out.reserve(entries.size());
  std::vector<size_t> corrupt;
  std::vector<std::array<char, kRecordHeaderBytes>> headers(entries.size());
  std::vector<std::span<char>> parts;
  for (size_t a = 0; a < entries.size();) {
    size_t b = a + 1;
    while (b < entries.size() &&
           entries[b].position == entries[b - 1].position + entries[b - 1].size()) {
      ++b;
    }
    uint64_t segment = PositionSegment(entries[a].position);
    uint64_t run_start = PositionOffset(entries[a].position);
    Result<File*> f = ReadFile(segment);
    if (!f.ok()) return f.status();
    const size_t first_out = out.size();
    parts.clear();
    for (size_t k = a; k < b; ++k) {
      Record& r = out.emplace_back();
      r.position = entries[k].position;
      r.payload.resize(entries[k].length);
      parts.emplace_back(headers[k]);
      parts.emplace_back(r.payload);
    }
    Result<size_t> got = (*f)->ReadV(run_start, parts);
    if (!got.ok()) return got.status();
    size_t kept = first_out;
    for (size_t k = a; k < b; ++k) {
      Record& r = out[first_out + (k - a)];
      const uint64_t end = entries[k].position + entries[k].size() - entries[a].position;
      std::optional<RecordView> v;
      if (end <= *got) {
        v = VerifyRecord(std::string_view(headers[k].data(), headers[k].size()), r.payload);
      }
      if (!v) {
        spdlog::warn("queue {}: record at segment {} offset {} no longer verifies; dropped",
                     options_.dir, segment, PositionOffset(entries[k].position));
        corrupt.push_back(want[k]);
        continue;
      }
      r.enqueue_time_ns = v->enqueue_time_ns;
      r.points = v->points;
      if (kept != first_out + (k - a)) out[kept] = std::move(r);
      ++kept;
    }
    out.resize(kept);
    a = b;
  }

  bool skip_front = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i : corrupt) {
      index_[i].dropped = true;
      ++dropped_entries_;
      pending_points_ -= index_[i].points;
      DropLocked(kDropCorrupt, index_[i].points, index_[i].length);
    }
    handed_out_ = scan_end;
    skip_front = !index_.empty() && handed_out_ > 0 && index_.front().dropped;
    UpdateGaugesLocked();
  }
  if (skip_front) {
    // Dropped records at the head: move the cursor past them so they free space now.
    Status st = MoveCursor(0);
    if (!st.ok()) spdlog::error("queue {}: saving cursor: {}", options_.dir, st.ToString());
  }
  return out;
}

Status Queue::Ack(uint64_t position) {
  std::lock_guard<std::mutex> read_lock(read_mu_);
  size_t count;
  {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t first = index_.empty() ? tail_position_ : index_.front().position;
    if (position < first) return Status::Ok();  // already acknowledged
    if (handed_out_ == 0 || position > index_[handed_out_ - 1].position) {
      return Status::InvalidArgument("ack of position " + std::to_string(position) +
                                     " that was not handed out");
    }
    auto end = index_.begin() + static_cast<std::ptrdiff_t>(handed_out_);
    count = static_cast<size_t>(
        std::upper_bound(index_.begin(), end, position,
                         [](uint64_t p, const Entry& e) { return p < e.position; }) -
        index_.begin());
  }
  return MoveCursor(count);
}

// Acknowledges the first `count` entries and any dropped ones right behind them: stores the
// cursor, then forgets them and deletes segments wholly before the cursor.
// REQUIRES: read_mu_ held.
Status Queue::MoveCursor(size_t count) {
  Cursor next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (count < handed_out_ && index_[count].dropped) ++count;
    if (count == 0) return Status::Ok();
    next = CursorAt(count < index_.size() ? index_[count].position : tail_position_);
  }
  // When the disk is full the cursor cannot be stored (its temp file needs a block), and only
  // releasing what the remote already has frees space: the records are forgotten and whole
  // segments before the cursor deleted all the same. After a crash the older cursor on disk, or
  // the oldest remaining segment when it names a deleted one, only resends them. Other errors
  // keep the records, so that a later ack stores a cursor covering them. Either way the error is
  // returned.
  Status stored = StoreCursor(fs_, options_.dir, next);
  if (!stored.ok()) {
    if (!stored.IsNoSpace()) return stored;
    spdlog::warn(
        "queue {}: {}; acknowledged records are released and would be resent after a "
        "crash",
        options_.dir, stored.ToString());
  }
  std::vector<uint64_t> obsolete;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < count; ++i) {
      bytes_ -= index_.front().size();
      if (index_.front().dropped) {
        --dropped_entries_;
      } else {
        pending_points_ -= index_.front().points;
      }
      index_.pop_front();
    }
    handed_out_ -= count;
    refusing_ = false;
    // The active segment is never before the cursor, which is at most the tail.
    while (!segments_.empty() && *segments_.begin() < next.segment) {
      obsolete.push_back(*segments_.begin());
      segments_.erase(segments_.begin());
    }
    UpdateGaugesLocked();
  }
  for (uint64_t n : obsolete) {
    read_files_.erase(n);
    Status st = fs_.Unlink(options_.dir + "/" + SegmentFileName(n));
    // Left behind, it is deleted on the next open (it lies before the cursor).
    if (!st.ok()) spdlog::warn("queue {}: {}", options_.dir, st.ToString());
  }
  return stored;
}

Result<uint64_t> Queue::ExpireOld() {
  std::lock_guard<std::mutex> read_lock(read_mu_);
  uint64_t expired = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (max_age_seconds_ <= 0) return expired;
    const int64_t cutoff = clock_.WallNowNanos() - max_age_seconds_ * 1000000000;
    // Records are indexed in append order and stamped just before it, so the first one young
    // enough ends the scan: what lies behind it cannot free space before it does, and the reader
    // still checks every record's age.
    for (size_t i = handed_out_; i < index_.size(); ++i) {
      Entry& e = index_[i];
      if (e.dropped) continue;
      if (e.enqueue_time_ns >= cutoff) break;
      e.dropped = true;
      ++dropped_entries_;
      pending_points_ -= e.points;
      DropLocked(kDropExpired, e.points, e.length);
      ++expired;
    }
    size_t lead = 0;
    while (lead < index_.size() && index_[lead].dropped) ++lead;
    // Dropped records are never handed out; counting them as read lets the cursor pass them.
    if (lead > handed_out_) handed_out_ = lead;
    if (lead == 0) {
      UpdateGaugesLocked();
      return expired;
    }
  }
  Status st = MoveCursor(0);
  if (!st.ok()) return st;
  return expired;
}

Status Queue::Expire(uint64_t position) {
  std::lock_guard<std::mutex> read_lock(read_mu_);
  size_t count;
  {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t first = index_.empty() ? tail_position_ : index_.front().position;
    if (position < first) return Status::Ok();  // already gone (ExpireOld, or acknowledged)
    if (handed_out_ == 0 || position > index_[handed_out_ - 1].position) {
      return Status::InvalidArgument("expiry of position " + std::to_string(position) +
                                     " that was not handed out");
    }
    auto end = index_.begin() + static_cast<std::ptrdiff_t>(handed_out_);
    count = static_cast<size_t>(
        std::upper_bound(index_.begin(), end, position,
                         [](uint64_t p, const Entry& e) { return p < e.position; }) -
        index_.begin());
    for (size_t i = 0; i < count; ++i) {
      Entry& e = index_[i];
      if (e.dropped) continue;
      e.dropped = true;
      ++dropped_entries_;
      pending_points_ -= e.points;
      DropLocked(kDropExpired, e.points, e.length);
    }
    // Unread records ExpireOld dropped right behind them go too (see ExpireOld).
    size_t lead = count;
    while (lead < index_.size() && index_[lead].dropped) ++lead;
    if (lead > handed_out_) handed_out_ = lead;
  }
  return MoveCursor(count);
}

void Queue::RewindToCursor() {
  std::lock_guard<std::mutex> read_lock(read_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  handed_out_ = 0;
}

// ---- accounting ------------------------------------------------------------------------------

void Queue::CountDropped(uint64_t points, uint64_t bytes, std::string_view reason) {
  std::lock_guard<std::mutex> lock(mu_);
  DropLocked(reason, points, bytes);
}

void Queue::DropLocked(std::string_view reason, uint64_t points, uint64_t bytes) {
  auto& d = dropped_[std::string(reason)];
  d.first += points;
  d.second += bytes;
  if (metrics_ != nullptr) metrics_->Dropped(reason, points, bytes);
}

void Queue::SetLimits(uint64_t max_bytes, int64_t max_age_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  max_bytes_ = max_bytes;
  max_age_seconds_ = max_age_seconds;
  UpdateGaugesLocked();
}

QueueStats Queue::StatsLocked() const {
  QueueStats s;
  s.bytes = bytes_;
  s.max_bytes = max_bytes_;
  s.pending_points = pending_points_;
  s.pending_records = index_.size() - dropped_entries_;
  for (const Entry& e : index_) {
    if (e.dropped) continue;
    s.oldest_enqueue_ns = e.enqueue_time_ns;
    break;
  }
  s.dropped = dropped_;
  return s;
}

QueueStats Queue::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  UpdateGaugesLocked();
  return StatsLocked();
}

void Queue::UpdateGaugesLocked() const {
  if (metrics_ == nullptr) return;
  double age = 0;
  for (const Entry& e : index_) {
    if (e.dropped) continue;
    age = std::max(0.0, static_cast<double>(clock_.WallNowNanos() - e.enqueue_time_ns) / 1e9);
    break;
  }
  metrics_->SetSize(bytes_, max_bytes_, pending_points_, age);
}

}  // namespace edgerepl::queue
