// One replication's sender: reads records from its queue, merges them into gzip batches, posts
// them to the remote in order and acknowledges what the remote took (DESIGN.md §4).
//
// The decision logic is Step(), which never sleeps: it does one unit of work and says how long to
// wait. Run() (the sender thread) does the waiting on a condition variable, so tests drive Step()
// with a fake HTTP client and fake clock and check every delay exactly, without real time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "agent/deletes/delete_spec.h"
#include "agent/sender/batcher.h"
#include "agent/sender/body_limit.h"
#include "agent/sender/classify.h"
#include "agent/sender/in_flight_limit.h"
#include "agent/sender/record_source.h"
#include "agent/sender/remote_auth.h"
#include "agent/sender/request_workers.h"
#include "agent/sender/sender_metrics.h"
#include "agent/sender/sender_state.h"
#include "common/backoff/backoff.h"
#include "common/clock.h"
#include "common/codec/gzip.h"
#include "common/http/client.h"

namespace edgerepl::sender {

enum class Protocol { kV2, kV1 };

struct SenderOptions {
  std::string replication_name;
  Protocol protocol = Protocol::kV2;
  std::string org_id;  // v2 only
  std::string bucket;  // v2: remoteBucket or remoteBucketID; v1: "db" or "db/rp"
  bool bucket_is_id = false;
  std::string token;     // never logged, never in status or metrics
  UserCredentials user;  // v1 only, instead of a token
  BatchLimits batch;
  std::chrono::milliseconds backoff_min{250};
  std::chrono::milliseconds backoff_max{30000};
  bool drop_non_retryable = false;
  bool suspend = false;
  int gzip_level = codec::kDefaultGzipLevel;
  // Requests in flight at once (1..8). Above 1 the sender keeps up to that many requests out (a
  // new one starts as soon as any is answered, each gzipped on its own thread) and still
  // acknowledges strictly in order: answered batches wait behind an older one still out (see
  // kWindowBytes), and after a failure the batches behind it are sent again (line-protocol writes
  // are idempotent at the remote). The agent's default is config::kDefaultMaxInFlight.
  int max_in_flight = 1;
  // With max_in_flight above 1: start at one request and grow towards max_in_flight only while a
  // backlog waits and the remote keeps up (in_flight_limit.h). False keeps max_in_flight requests
  // out whenever there is enough to send (a fixed window, for comparison in benchmarks).
  bool adapt_in_flight = true;
  // With less than a full batch pending and nothing in flight, wait until the oldest pending
  // record is this old before sending: a steady stream of small writes then leaves in fewer,
  // fuller requests (each one costs a round trip and a cursor store with two fsyncs), for at most
  // this much more lag. Zero sends at once. The agent uses kDefaultBatchLinger.
  std::chrono::milliseconds linger{0};
  // With several requests out: the cursor is stored at most this often while requests are in
  // flight (one store covers every batch answered in the interval, DESIGN §3), and at once when
  // none is. A crash resends those batches too. Zero stores after every answer. The agent uses
  // kDefaultCursorInterval.
  std::chrono::milliseconds cursor_interval{0};
  // maxAgeSeconds (0 = no limit): records this old are not sent. They are dropped (counted
  // `expired` by the source) when a batch is built and, while the sender waits (backoff,
  // Retry-After, suspended), at least every kExpiryCheck, so an outage never leaves the queue
  // full of records that would only be dropped later.
  std::chrono::seconds max_age{0};
};

inline constexpr std::chrono::milliseconds kExpiryCheck{1000};

inline constexpr std::chrono::milliseconds kDefaultBatchLinger{50};
// Each cursor store costs two fsyncs; draining a backlog, one per answered 500 kB batch was a
// quarter of the sender's CPU (docs/benchmarks.md).
inline constexpr std::chrono::milliseconds kDefaultCursorInterval{100};

struct SenderStatus {
  State state = State::kIdle;
  std::optional<std::chrono::system_clock::time_point> last_success_time;
  uint64_t consecutive_failures = 0;
  int latest_response_code = 0;
  std::string latest_error_message;
  double oldest_pending_age_seconds = 0;
  std::map<std::string, uint64_t> dropped_points;  // by reason, dropped by the sender
};

// What Step() asks the loop to do next.
struct StepResult {
  enum Kind { kContinue, kIdle, kWait } kind = kContinue;
  std::chrono::milliseconds delay{0};  // kWait only
};

inline constexpr size_t kMaxErrorMessageBytes = 512;
// Pipelined, the batches answered behind a slower, older request wait for it before the cursor
// can move past them, and keep their records in memory meanwhile. A remote's answers are
// uneven: VictoriaMetrics answered 1% of 500 kB writes after 190 ms or more, while the median
// took 15 ms. A window of only a few batches then sat behind such a request with one slot busy
// (a quarter of the drain time at 4 in flight). Besides the max_in_flight requests out, this
// many bytes of answered batches may wait: about 33 batches at the default batch size, none at
// batches over 16 MiB (a slot then frees only when the oldest is answered), and never more than
// kMaxWaitingBatches, which bounds the window's bookkeeping when batches are tiny.
inline constexpr size_t kWindowBytes = 16 << 20;
inline constexpr size_t kMaxWaitingBatches = 64;
inline constexpr int kMaxInFlightLimit = 8;
// With nothing pending the loop re-reads the queue at least this often even without a
// notification, in case a notification was missed.
inline constexpr std::chrono::milliseconds kIdleRecheck{1000};

class Sender {
 public:
  // `http`, `source`, `clock`, `random` and `metrics` are borrowed and must outlive the Sender.
  Sender(SenderOptions options, http::HttpClient& http, RecordSource& source, Clock& clock,
         Random& random, SenderMetrics& metrics);
  ~Sender();  // stops the thread
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  void Start();
  void Stop();

  // New records were appended. Wakes an idle sender; never shortens a backoff or Retry-After wait.
  void NotifyAppended();
  // Admin: drop the head batch (counted `skipped`), e.g. to unblock a Stalled replication.
  void SkipHead();
  // Admin or config reload: end the current wait and retry at once.
  void RetryNow();
  void SetSuspended(bool suspended);

  // Thread-safe copy for the admin API.
  SenderStatus Snapshot() const;

  // One unit of work; see the file comment. Only the sender thread (or a test) calls it.
  StepResult Step();

 private:
  struct Outcome {
    bool done = false;  // every line delivered or deliberately dropped
    Decision decision{Action::kRetry, std::nullopt};
    int code = 0;                      // of the answer that decided; 0 for a transport error
    std::string message;               // already redacted and truncated
    std::chrono::nanoseconds took{0};  // of the last request made
  };

  // `compressed`, when not empty, is `body` already gzipped.
  Outcome Deliver(std::string_view body, uint64_t points, std::string compressed = {});
  Outcome DeliverSplit(std::string_view body);
  // A delete record (agent/deletes), applied at the remote on its own once every write queued
  // before it is acknowledged, and before any queued after it is sent.
  Outcome DeliverDelete(std::string_view payload);
  http::HttpRequest BuildDeleteRequest(const deletes::DeleteSpec& spec) const;
  // Whether the next record to send is a delete.
  bool NextIsDelete() const;
  Outcome Post(std::string_view body, uint64_t points, int* status_out, std::string compressed);
  StepResult StepSingle(bool skip);
  // How much longer to wait for the pending records to fill a batch; zero to send now.
  std::chrono::milliseconds LingerLeft() const;
  void Stage(const Batch& current);
  void DiscardStaged();
  http::HttpRequest BuildRequest(std::string compressed) const;
  Status FillPending();
  void FinishBatch(const Batch& batch);
  void PopRecords(uint64_t end_record);
  // Pops the records numbered below `end_record`; returns the position that acknowledges them,
  // none if there were none.
  std::optional<uint64_t> Pop(uint64_t end_record);
  void AckThrough(uint64_t position);
  // Pipelined: stores the cursor over the batches acknowledged but not stored yet
  // (cursor_interval), if any.
  void StoreDeferredAck();
  // Pipelined: how long the deferred cursor store may still wait; zero if it is due or none.
  std::chrono::milliseconds DeferredAckLeft() const;
  // Starts requests while MayStartMoreLocked. Returns whether it stopped for want of a free slot
  // (so another may start when one frees), not for want of pending records to send.
  bool FillWindow();
  // Pipelined: stores the cursor at `position` on the acknowledging thread and, until it is
  // stored, keeps refilling the slots that requests free meanwhile: on a busy disk the cursor's
  // fsyncs take milliseconds, longer than the remote leaves a slot empty otherwise.
  void AckWhileRefilling(uint64_t position);
  // Pipelined: how many batches the window may hold, answered or not (see kWindowBytes).
  size_t WindowBatches() const;
  // Pipelined: hands the bodies of answered batches back for reuse; their records stay pending
  // until acknowledged, in case an older batch fails and they are sent again.
  void ReleaseAnsweredBodies();
  // Pipelined: whether another request may start now (a free slot, room for its answer to wait
  // behind older ones, and no answered request that failed: what follows one is sent again).
  bool MayStartMoreLocked() const;
  // Pipelined: blocks until the oldest request is answered or, if `more_to_send`, another
  // request may start.
  void WaitForProgress(bool more_to_send);
  void SettleInFlight(bool keep_successes);
  StepResult Failed(const Outcome& outcome);
  // Body storage for the next batch: a finished batch's, or empty.
  std::string TakeSpareBody();
  void KeepSpareBody(std::string body);
  StepResult StepPipelined();
  void DropLines(uint64_t points, uint64_t bytes, std::string_view reason);
  void SetState(State state);
  // Records the latest answer; returns the message as stored (redacted, truncated).
  std::string RecordAnswer(int code, std::string message);
  std::string Redact(std::string message) const;
  double OldestAgeSeconds() const;
  // The batch limits with what a 413 taught (body_limit.h) applied.
  BatchLimits CurrentLimits() {
    BatchLimits limits = options_.batch;
    limits.max_bytes = body_limit_.Limit(limits.max_bytes);
    return limits;
  }
  // Max age (sender_expiry.cc): drops the leading pending records older than max_age through the
  // source, then lets the source drop the unread ones. Only with nothing in flight.
  void ExpireHead();
  void Run();
  void RunLoop();

  const SenderOptions options_;
  http::HttpClient& http_;
  RecordSource& source_;
  Clock& clock_;
  SenderMetrics& metrics_;
  Backoff backoff_;
  BodyLimit body_limit_;
  std::string target_;

  // Owned by the sender thread.
  std::deque<SourceRecord> pending_;
  size_t pending_bytes_ = 0;
  size_t head_offset_ = 0;
  uint64_t popped_records_ = 0;  // records popped from pending_ so far: pending_[i] is number
                                 // popped_records_ + i
  const int max_in_flight_;
  InFlightLimit limit_;  // how many of the max_in_flight_ slots the pipelined sender uses now
  std::vector<std::string> spare_bodies_;  // finished batches' bodies, for their capacity

  std::mutex drop_mu_;     // serializes ReportDropped calls from parallel requests
  mutable std::mutex mu_;  // guards the flags and status_
  std::condition_variable cv_;
  bool stop_ = false;
  bool notified_ = false;
  bool skip_requested_ = false;
  bool retry_now_ = false;
  bool suspended_;
  SenderStatus status_;
  std::thread thread_;

  // With one request in flight: the batch after it, merged and gzipped while that request was
  // out, so the remote does not wait on our CPU between requests. Sender thread only.
  struct Staged {
    Batch batch;                // completed_records as when staged; end_record is what counts
    uint64_t first_record = 0;  // record number and offset it starts at
    size_t first_offset = 0;
    uint64_t end_record = 0;
    std::string compressed;  // empty if gzip failed: the request compresses (and reports) again
  };
  std::optional<Staged> staged_;

  // A pipelined request's answer, filled in by the worker that ran it (under done_mu_).
  struct Answer {
    bool finished = false;
    Outcome outcome;
  };
  // Pipelined batches (max_in_flight > 1), oldest first: the ones whose request is still out, and
  // those answered but not yet acknowledged because an older one is still out. Sender thread only.
  struct InFlight {
    std::unique_ptr<Batch> batch;  // the request reads it from another thread: a stable address
    uint64_t end_record = 0;       // record number after the last one this batch finishes
    std::shared_ptr<Answer> answer;
  };
  // Pipelined, with cursor_interval: the position acknowledged but not stored yet, and when the
  // cursor was last stored.
  std::optional<uint64_t> deferred_ack_;
  std::chrono::steady_clock::time_point last_store_{};
  uint64_t next_record_ = 0;  // where the next pipelined batch starts: record number and offset
  size_t next_offset_ = 0;
  std::deque<InFlight> in_flight_;
  // Signalled whenever a pipelined request is answered, so a slot is refilled as soon as any
  // request ends, not only the oldest.
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  // Runs the pipelined sender's cursor stores (AckWhileRefilling), one at a time.
  RequestWorkers acknowledger_{1};
  // Runs every request, the single one too (so the sender thread prepares the next batch
  // meanwhile). Declared last: its threads finish their requests, which touch the members above,
  // and are joined before anything else is destroyed.
  RequestWorkers workers_;
};

// The write path for a remote: "/api/v2/write?org=…&bucket=…&precision=ns" or, for v1,
// "/write?db=…&rp=…&precision=n". Exposed for tests.
std::string WriteTarget(const SenderOptions& options);

}  // namespace edgerepl::sender
