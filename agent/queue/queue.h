// One replication's durable queue (DESIGN.md §3): appends with group commit, a reader that hands
// out records after the last one handed out, and an acknowledged position kept in the cursor file.
//
// Threads: Append may be called from any number of threads. ReadNext, Ack and RewindToCursor are
// the reader's (one sender) and are serialized among themselves; they run alongside appends.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/queue/cursor.h"
#include "agent/queue/format.h"
#include "agent/queue/fs.h"
#include "agent/queue/queue_metrics.h"
#include "agent/queue/segment_writer.h"
#include "common/clock.h"
#include "common/config/config.h"
#include "common/status.h"

namespace edgerepl::queue {

struct QueueOptions {
  std::string dir;
  uint64_t max_bytes = config::kDefaultMaxQueueSizeBytes;
  int64_t max_age_seconds = static_cast<int64_t>(config::kDefaultMaxAgeSeconds);  // 0 = no limit
  config::Durability durability = config::Durability::kSync;
  std::chrono::milliseconds sync_interval{100};  // durability kInterval only
  uint64_t segment_bytes = kDefaultSegmentBytes;
};

struct Record {
  uint64_t position = 0;  // opaque, increasing; PackPosition(segment, offset)
  int64_t enqueue_time_ns = 0;
  uint32_t points = 0;
  std::string payload;
};

struct QueueStats {
  uint64_t bytes = 0;  // unacknowledged records on disk, headers included
  uint64_t max_bytes = 0;
  uint64_t pending_points = 0;
  uint64_t pending_records = 0;   // not counting expired or corrupt ones awaiting the cursor
  int64_t oldest_enqueue_ns = 0;  // 0 when empty
  std::map<std::string, std::pair<uint64_t, uint64_t>> dropped;  // reason -> {points, bytes}
};

// A commit group is capped so the writers behind it are not held up by one huge write. 8 MiB
// holds 64 concurrent 64 KiB writes with their headers; at 4 MiB such a burst split into groups
// of 63 and 1, wasting every second fdatasync.
inline constexpr uint64_t kMaxGroupBytes = 8 << 20;
// The longest a sync waits for the writers the previous one answered (see WaitForCohortLocked).
inline constexpr std::chrono::milliseconds kMaxCohortWait{10};
// From a sync of this many bytes up, the next one waits for only half as many: see
// WaitForCohortLocked.
inline constexpr uint64_t kSplitCohortBytes = 256 << 10;
// Free disk beyond a record that HasRoomFor wants after the disk was found full: room for a new
// segment's header and the cursor file besides the record.
inline constexpr uint64_t kDiskFullMarginBytes = 64 << 10;

class Queue {
 public:
  // Opens (creating if needed) the queue in options.dir and recovers it: see docs/queue-format.md
  // "Recovery". `fs` and `clock` are borrowed and must outlive the queue; `metrics` too, when set.
  static Result<std::unique_ptr<Queue>> Open(const QueueOptions& options, FileSystem& fs,
                                             const Clock& clock, QueueMetrics* metrics);
  ~Queue();  // Close()
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // Whether a payload of `bytes` fits under max_bytes now (queueFullPolicy reject pre-check).
  // After a write failed with ENOSPC, only once the disk has room for it again.
  bool HasRoomFor(uint64_t bytes) const;
  // Whether appends are being refused: the last append found no room (limit, ENOSPC, I/O error)
  // and none succeeded since, or there is no room for even an empty record.
  bool Full() const;

  // Appends one record, durable per options before returning (group commit). kNoSpace when the
  // queue is full or the disk refused the write; the files stay consistent and the caller counts
  // the drop (CountDropped). InvalidArgument for a payload over kMaxPayloadBytes; Aborted after
  // Close.
  Status Append(std::string_view payload, uint32_t points);
  void CountDropped(uint64_t points, uint64_t bytes, std::string_view reason);
  void SetLimits(uint64_t max_bytes, int64_t max_age_seconds);

  // Records after the last one handed out, about `max_bytes` of payload (at least one when any is
  // pending); empty when none. Records older than max_age are skipped and counted `expired`, and
  // records that no longer verify are skipped and counted `corrupt`. Never blocks on appends.
  Result<std::vector<Record>> ReadNext(size_t max_bytes);
  // Every record up to and including `position` (a handed-out record's) is done: the cursor moves
  // past it and is stored atomically before this returns; fully acknowledged segments are deleted.
  Status Ack(uint64_t position);
  // The next ReadNext starts again at the first unacknowledged record.
  void RewindToCursor();
  // Max age by the clock, not only when the sender reads (docs/queue-format.md "Limits"): the
  // records not yet handed out that are older than max_age are counted `expired`, and when they
  // lead the queue the cursor moves past them so their space is freed now. Returns how many
  // records it expired. The reader's call, like ReadNext; the write path may call it too.
  Result<uint64_t> ExpireOld();
  // Every handed-out record up to and including `position` is expired: each one not yet counted
  // is counted `expired`, and the cursor moves past them as Ack does. For the sender, which checks
  // the age of the records it holds when it builds a batch.
  Status Expire(uint64_t position);

  // Also refreshes the metrics gauges (the oldest-pending age grows without any call).
  QueueStats Stats() const;
  // Finishes pending appends and the last interval sync. Later appends get Aborted.
  Status Close();

 private:
  struct Entry {
    uint64_t position;
    uint32_t length;  // payload
    uint32_t points;
    int64_t enqueue_time_ns;
    bool dropped = false;  // expired or corrupt: skipped by the reader, already counted
    uint64_t size() const { return kRecordHeaderBytes + length; }
  };
  struct Writer;
  // Writers whose records were written together and await a sync covering them.
  struct Group {
    uint64_t seq = 0;  // write order
    uint64_t segment = 0;
    uint64_t end = 0;  // of the group's bytes in the segment
    std::vector<Writer*> writers;
  };

  Queue(const QueueOptions& options, FileSystem& fs, const Clock& clock, QueueMetrics* metrics);
  Status Recover();
  Status RecoverSegment(uint64_t number, uint64_t start, bool last, bool* reusable, uint64_t* end);
  Status WaitAsWriter(Writer* w, std::unique_lock<std::mutex>& lock);
  bool WriteGroup(std::unique_lock<std::mutex>& lock);
  void SyncGroups(std::unique_lock<std::mutex>& lock);
  void WaitForCohortLocked(std::unique_lock<std::mutex>& lock);
  void FailSyncLocked(std::unique_lock<std::mutex>& lock, const Status& st, uint64_t target_seq,
                      uint64_t from);
  // Answers `w`; its wake-up goes to `wake_later` when set, for the caller to send unlocked.
  void FinishLocked(Writer* w, const Status& st, std::vector<size_t>* wake_later = nullptr);
  void IndexLocked(const Writer* w);
  void WakeNextLocked();
  Status RollOver(bool sync_first);
  void ReleaseAcknowledgedActive(uint64_t number);
  Status SyncActive();
  void SyncLoop();
  Status MoveCursor(size_t count);
  Result<File*> ReadFile(uint64_t segment);
  void DropLocked(std::string_view reason, uint64_t points, uint64_t bytes);
  void UpdateGaugesLocked() const;
  QueueStats StatsLocked() const;

  const QueueOptions options_;
  FileSystem& fs_;
  const Clock& clock_;
  QueueMetrics* const metrics_;

  mutable std::mutex mu_;
  std::condition_variable sync_cv_;
  // Group commit is a two-stage pipeline: one thread writes a group while another syncs the
  // groups written before. Stage changes are announced on stage_cv_ to whoever waits for one.
  std::condition_variable stage_cv_;
  // Writers wait on these, spread round-robin, not on their own: one on the waiter's stack could
  // not be notified after mu_ is released. A shared slot only costs a spurious wake-up.
  std::array<std::condition_variable, 64> wake_;
  size_t next_slot_ = 0;         // GUARDED_BY(mu_)
  std::deque<Writer*> pending_;  // GUARDED_BY(mu_); not yet written; front leads the next write
  std::deque<Group> unsynced_;   // GUARDED_BY(mu_); written, in write order
  bool writing_ = false;         // GUARDED_BY(mu_); a group's write is running
  bool syncing_ = false;         // GUARDED_BY(mu_); a sync is running or about to start
  int waking_ = 0;               // GUARDED_BY(mu_); syncs still waking the writers they answered
  bool hold_writes_ = false;     // GUARDED_BY(mu_); a failed sync is cutting the file back
  bool roll_waiting_ = false;    // GUARDED_BY(mu_); the next group waits to roll over
  uint64_t write_seq_ = 0;       // GUARDED_BY(mu_); groups written
  uint64_t failed_seq_ = 0;      // GUARDED_BY(mu_); groups written before the last failure
  uint64_t write_end_ = 0;       // GUARDED_BY(mu_); active segment's end after the last write
  uint64_t synced_end_ = 0;      // GUARDED_BY(mu_); ... as of its last successful sync
  size_t released_ = 0;          // GUARDED_BY(mu_); writers the last sync answered
  uint64_t released_bytes_ = 0;  // GUARDED_BY(mu_); bytes the last sync covered
  size_t arrived_ = 0;           // GUARDED_BY(mu_); appends since then
  std::chrono::steady_clock::time_point last_arrival_;  // GUARDED_BY(mu_)
  std::chrono::steady_clock::duration last_sync_{};     // GUARDED_BY(mu_); real time
  std::deque<Entry> index_;       // GUARDED_BY(mu_); every unacknowledged record
  size_t handed_out_ = 0;         // GUARDED_BY(mu_); leading entries of index_ read
  uint64_t tail_position_ = 0;    // GUARDED_BY(mu_); after the last record in index_
  uint64_t bytes_ = 0;            // GUARDED_BY(mu_)
  uint64_t reserved_bytes_ = 0;   // GUARDED_BY(mu_); of writers not yet committed
  uint64_t pending_points_ = 0;   // GUARDED_BY(mu_)
  uint64_t dropped_entries_ = 0;  // GUARDED_BY(mu_); entries of index_ marked dropped
  uint64_t max_bytes_;            // GUARDED_BY(mu_)
  int64_t max_age_seconds_;       // GUARDED_BY(mu_)
  std::set<uint64_t> segments_;   // GUARDED_BY(mu_)
  std::map<std::string, std::pair<uint64_t, uint64_t>> dropped_;  // GUARDED_BY(mu_)
  Status sticky_;               // GUARDED_BY(mu_); set when a file is in doubt
  bool refusing_ = false;       // GUARDED_BY(mu_); last append found no room
  bool write_refused_ = false;  // GUARDED_BY(mu_); the last group's write failed (ENOSPC, EIO)
  bool disk_full_ = false;      // GUARDED_BY(mu_); it failed with ENOSPC, none succeeded since
  bool closed_ = false;         // GUARDED_BY(mu_)

  // Only the write stage's leader appends to or replaces the active segment; the sync stage
  // only syncs it, and no roll-over starts while a sync runs or a written group awaits one.
  std::unique_ptr<SegmentWriter> active_;
  std::unique_ptr<SegmentWriter>
      prepared_;                 // segment next_segment_, created ahead of its roll-over
  bool prepare_failed_ = false;  // since the last roll-over: do not try again
  uint64_t next_segment_ = 1;
  bool active_released_ = false;  // the active segment was deleted; the next group must roll

  std::mutex read_mu_;                      // serializes ReadNext, Ack, RewindToCursor
  std::map<uint64_t, FilePtr> read_files_;  // GUARDED_BY(read_mu_)

  std::thread sync_thread_;  // durability kInterval only
};

}  // namespace edgerepl::queue
