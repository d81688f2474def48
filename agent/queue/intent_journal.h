// The intent journal: a write is recorded here before it is sent to the local InfluxDB and marked
// resolved once its answer was handled (queued, refused, or failed). A record still unresolved at
// the next start is a write the process died in the middle of: the local database may hold it while
// no queue does. docs/reliability.md "Crash convergence" states what is guaranteed.
//
// The journal knows nothing of HTTP: a record's payload is opaque bytes (agent/frontdoor/intent.h
// encodes the local request into it). It is separate from the replication queues on purpose: one
// record per write whatever the number of replications, and no change to the queue's format.
//
// Files: <dir>/<generation, 20 digits>.intents, each
//   header: magic "EQIJ" | version u32
//   record: masked crc32c | length u32 | kind u32 (1 begin, 2 resolved) | id u64 | payload[length]
// little-endian; the CRC covers the record after its own field, as in a queue segment. A resolved
// mark goes into the file of its begin record, so every file can be read, and deleted, on its own:
// a file that is not the newest is deleted once every begin in it is resolved.
//
// Durability of a begin record before Begin returns: kSync: an fdatasync covering it (concurrent
// calls share one, group commit); kInterval: written to the file (the page cache, enough for a
// process crash), synced by a background thread every sync_interval. A resolved mark is never
// synced on its own: losing one only makes the next start replay a write whose replay is
// idempotent.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "agent/queue/fs.h"
#include "common/config/config.h"
#include "common/status.h"

namespace edgerepl::queue {

inline constexpr char kIntentMagic[4] = {'E', 'Q', 'I', 'J'};
inline constexpr uint32_t kIntentVersion = 1;
inline constexpr size_t kIntentFileHeaderBytes = 8;
// crc, length, kind, id
inline constexpr size_t kIntentRecordHeaderBytes = 4 + 4 + 4 + 8;
inline constexpr char kIntentSuffix[] = ".intents";
// A file is rolled over past this size. Small, so a full disk is not held by resolved records and
// the next start reads little; a roll costs a file creation and a directory sync.
inline constexpr uint64_t kDefaultIntentFileBytes = 1 << 20;

struct IntentJournalOptions {
  std::string dir;  // <dataDir>/intents
  config::Durability durability = config::Durability::kSync;
  std::chrono::milliseconds sync_interval{100};  // kInterval only
  uint64_t file_bytes = kDefaultIntentFileBytes;
};

// An unresolved write found when the journal was opened.
struct PendingIntent {
  uint64_t id = 0;
  std::string payload;
};

struct IntentJournalStats {
  uint64_t unresolved = 0;
  uint64_t files = 0;
};

class IntentJournal {
 public:
  // Opens (creating if needed) the journal in options.dir. The begins found without their resolved
  // mark are returned in `pending`, oldest first; they stay unresolved until Resolve(id). A
  // damaged record ends its file's reading (what follows was never synced before it, or is lost
  // to damage that is logged). `fs` is borrowed and must outlive the journal.
  static Result<std::unique_ptr<IntentJournal>> Open(const IntentJournalOptions& options,
                                                     FileSystem& fs,
                                                     std::vector<PendingIntent>* pending);
  ~IntentJournal();  // Close()
  IntentJournal(const IntentJournal&) = delete;
  IntentJournal& operator=(const IntentJournal&) = delete;

  // Records `parts` (joined) as one begin record, durable as the file comment says, and returns its
  // id. On an error nothing usable was recorded (the file is cut back).
  Result<uint64_t> Begin(const std::vector<std::string_view>& parts);
  // Marks `id` resolved. Best effort: a mark that cannot be written is only a replay at the next
  // start.
  void Resolve(uint64_t id);

  IntentJournalStats Stats() const;
  // Stops the sync thread and deletes the files whose begins are all resolved (a clean stop
  // leaves none). Later Begins get Aborted.
  void Close();

 private:
  struct JournalFile {
    uint64_t generation = 0;
    std::shared_ptr<File> file;
    uint64_t end = 0;
    uint64_t unresolved = 0;
  };

  IntentJournal(const IntentJournalOptions& options, FileSystem& fs);
  Status Recover(std::vector<PendingIntent>* pending);
  Status ReadFile(uint64_t generation, std::map<uint64_t, PendingIntent>* begins,
                  std::map<uint64_t, uint64_t>* owner);
  Status RollLocked();  // REQUIRES: mu_ held
  // Deletes files other than the active one that have nothing unresolved. REQUIRES: mu_ held.
  void DeleteResolvedLocked();
  Status SyncTo(uint64_t target, std::unique_lock<std::mutex>& lock);
  void SyncLoop();
  std::string PathOf(uint64_t generation) const;

  const IntentJournalOptions options_;
  FileSystem& fs_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, JournalFile> files_;         // GUARDED_BY(mu_); by generation
  std::unordered_map<uint64_t, uint64_t> owner_;  // GUARDED_BY(mu_); unresolved id -> generation
  uint64_t active_ = 0;                           // GUARDED_BY(mu_); generation appended to
  uint64_t next_id_ = 1;                          // GUARDED_BY(mu_)
  uint64_t written_ = 0;                          // GUARDED_BY(mu_); bytes written, all files
  uint64_t synced_ = 0;                           // GUARDED_BY(mu_); of written_, durable
  bool syncing_ = false;                          // GUARDED_BY(mu_)
  bool closed_ = false;                           // GUARDED_BY(mu_)
  std::thread sync_thread_;                       // kInterval only
};

}  // namespace edgerepl::queue
