// Runs one backfill job: reads its range from the local database window by window, appends the
// points to the backfill queue (a Sink) and stores its progress after each window. A thread of its
// own; the backfill queue's sender delivers what it queues.
//
// Bounded on every side: a window holds about kTargetWindowPoints (it halves when a window came
// back bigger or cut short, doubles when smaller), the rate is maxPointsPerSecond, and no window is
// read while the sink is backlogged, so the queue never fills and nothing is dropped for room.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/backfill/backfill_metrics.h"
#include "agent/backfill/local_reader.h"
#include "agent/backfill/progress.h"
#include "agent/backfill/token_bucket.h"
#include "agent/queue/fs.h"
#include "common/clock.h"
#include "common/status.h"

namespace edgerepl::backfill {

inline constexpr uint64_t kTargetWindowPoints = 20000;
inline constexpr std::chrono::nanoseconds kFirstWindow = std::chrono::minutes(1);
inline constexpr std::chrono::nanoseconds kMaxWindow = std::chrono::hours(24 * 7);
// A record of the backfill queue holds at most this much line protocol.
inline constexpr size_t kMaxRecordBytes = 512 * 1024;
// Waits after a failed local query: from the first to the last, doubling.
inline constexpr std::chrono::milliseconds kRetryMin{500};
inline constexpr std::chrono::milliseconds kRetryMax{30000};

// Where the points go: the backfill queue.
class Sink {
 public:
  virtual ~Sink() = default;
  // Durable on return (the queue's durability).
  virtual Status Append(std::string_view payload, uint32_t points) = 0;
  // Whether the queue holds enough that reading more should wait.
  virtual bool Backlogged() const = 0;
};

struct RunnerStatus {
  Progress progress;
  std::string last_error;  // of the last failed query; empty after a success
};

class Runner {
 public:
  // Borrows `sink`, `clock`, `fs` and `metrics` (which may be null); they must outlive it.
  Runner(std::string name, std::string dir, Progress progress, std::unique_ptr<LocalReader> reader,
         Sink& sink, const Clock& clock, queue::FileSystem& fs, BackfillMetrics* metrics);
  ~Runner();  // Stop()
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  void Start();
  void Stop();
  RunnerStatus Snapshot() const;
  // Whether every window is read and queued (or the job was cancelled).
  bool Finished() const;

  // One window: read, queue, store progress. Returns how long to wait before the next; the
  // thread's loop, exposed so tests step it. Never sleeps.
  std::chrono::nanoseconds Step();

 private:
  void Run();
  Status QueueLines(const std::string& lines);

  const std::string name_;
  const std::string dir_;
  std::unique_ptr<LocalReader> reader_;
  Sink& sink_;
  const Clock& clock_;
  queue::FileSystem& fs_;
  BackfillMetrics* const metrics_;
  TokenBucket bucket_;

  // Owned by the runner's thread (or the test stepping it).
  std::chrono::nanoseconds window_ = kFirstWindow;
  std::chrono::milliseconds retry_ = kRetryMin;
  bool store_pending_ = false;  // progress moved but its store failed: try again

  mutable std::mutex mu_;
  std::condition_variable cv_;
  Progress progress_;  // GUARDED_BY(mu_)
  std::string last_error_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace edgerepl::backfill
