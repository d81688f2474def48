#include "agent/sender/sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

#include "agent/deletes/influxql_delete.h"
#include "agent/deletes/query_answer.h"
#include "agent/deletes/v2_delete.h"
#include "common/codec/gzip.h"
#include "common/codec/percent.h"
#include "common/log/redact.h"

namespace edgerepl::sender {
namespace {

uint64_t CountLines(std::string_view body) {
  return static_cast<uint64_t>(std::count(body.begin(), body.end(), '\n'));
}

}  // namespace

std::string WriteTarget(const SenderOptions& options) {
  if (options.protocol == Protocol::kV1) {
    std::string_view bucket = options.bucket;
    size_t slash = bucket.find('/');
    std::string target = "/write?db=" + codec::PercentEncode(bucket.substr(0, slash));
    if (slash != std::string_view::npos)
      target += "&rp=" + codec::PercentEncode(bucket.substr(slash + 1));
    return target + "&precision=n";
  }
  return "/api/v2/write?org=" + codec::PercentEncode(options.org_id) +
         (options.bucket_is_id ? "&bucketID=" : "&bucket=") + codec::PercentEncode(options.bucket) +
         "&precision=ns";
}

Sender::Sender(SenderOptions options, http::HttpClient& http, RecordSource& source, Clock& clock,
               Random& random, SenderMetrics& metrics)
    : options_(std::move(options)),
      http_(http),
      source_(source),
      clock_(clock),
      metrics_(metrics),
      backoff_(options_.backoff_min, options_.backoff_max, random),
      body_limit_(clock),
      target_(WriteTarget(options_)),
      max_in_flight_(std::clamp(options_.max_in_flight, 1, kMaxInFlightLimit)),
      limit_(max_in_flight_, options_.adapt_in_flight),
      suspended_(options_.suspend),
      workers_(max_in_flight_) {
  metrics_.SetState(suspended_ ? State::kSuspended : State::kIdle);
  metrics_.SetInFlightLimit(limit_.current());
  status_.state = suspended_ ? State::kSuspended : State::kIdle;
}

Sender::~Sender() {
  Stop();
}

void Sender::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Sender::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sender::NotifyAppended() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

void Sender::SkipHead() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    skip_requested_ = true;
  }
  cv_.notify_all();
}

void Sender::RetryNow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    retry_now_ = true;
  }
  cv_.notify_all();
}

void Sender::SetSuspended(bool suspended) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    suspended_ = suspended;
  }
  cv_.notify_all();
}

SenderStatus Sender::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void Sender::Run() {
  RunLoop();
  // Stopping: what the remote already took is acknowledged; nothing is abandoned mid-request.
  SettleInFlight(true);
}

void Sender::RunLoop() {
  while (true) {
    StepResult r = Step();
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_) return;
    switch (r.kind) {
      case StepResult::kContinue:
        break;
      case StepResult::kIdle:
        cv_.wait_for(lock, kIdleRecheck, [this] {
          if (stop_) return true;
          if (suspended_) return false;  // only resuming (or stopping) ends a suspension
          return notified_ || skip_requested_ || retry_now_ || status_.state == State::kSuspended;
        });
        notified_ = false;
        break;
      case StepResult::kWait: {
        // Deliberately not woken by NotifyAppended: new writes never cut a wait short. Nothing
        // is in flight during a wait, so records that age out meanwhile are dropped as they do.
        auto until = std::chrono::steady_clock::now() + r.delay;
        auto woken = [this] { return stop_ || skip_requested_ || retry_now_ || suspended_; };
        while (!cv_.wait_until(
                   lock, std::min(until, std::chrono::steady_clock::now() + kExpiryCheck), woken) &&
               std::chrono::steady_clock::now() < until) {
          lock.unlock();
          ExpireHead();
          lock.lock();
        }
        break;
      }
    }
    if (stop_) return;
  }
}

StepResult Sender::Step() {
  bool skip;
  if (in_flight_.empty()) StoreDeferredAck();
  if (!in_flight_.empty()) {
    bool suspended;
    {
      std::lock_guard<std::mutex> lock(mu_);
      suspended = suspended_;
    }
    // Suspending stops sending: wait for what is in flight, start nothing new.
    if (suspended) SettleInFlight(true);
  }
  bool suspended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    suspended = suspended_;
  }
  if (suspended) {
    // A suspended replication keeps queueing; what ages out meanwhile is dropped as it does.
    if (in_flight_.empty()) ExpireHead();
    std::lock_guard<std::mutex> lock(mu_);
    if (suspended_) {
      status_.state = State::kSuspended;
      metrics_.SetState(State::kSuspended);
      return {StepResult::kIdle, {}};
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    skip = skip_requested_;
    skip_requested_ = false;
    retry_now_ = false;
  }
  // The first batch after an outage holds no expired record: the age is checked at build time.
  if (in_flight_.empty()) ExpireHead();
  Status read = FillPending();
  if (!read.ok()) {
    spdlog::error("replication {}: reading queue: {}", options_.replication_name, read.ToString());
    SetState(State::kBackoff);
    return {StepResult::kWait, backoff_.NextBackOff()};
  }
  if (in_flight_.empty()) ExpireHead();  // FillPending read records the source kept meanwhile
  if (pending_.empty()) {
    spare_bodies_.clear();  // an idle replication holds no batch-sized buffers
    limit_.Drained();
    metrics_.SetInFlightLimit(limit_.current());
    SetState(State::kIdle);
    return {StepResult::kIdle, {}};
  }
  {
    // Idle means nothing pending (DESIGN §6). From here on points are pending: lingering for a
    // fuller batch or in a first request that may take up to the timeout is sending, not idle.
    bool was_idle;
    {
      std::lock_guard<std::mutex> lock(mu_);
      was_idle = status_.state == State::kIdle;
    }
    if (was_idle) SetState(State::kReplicating);
  }
  if (!skip && in_flight_.empty()) {
    std::chrono::milliseconds wait = LingerLeft();
    if (wait.count() > 0) {
      DiscardStaged();  // it holds fewer records than the batch sent after the wait will
      return {StepResult::kWait, wait};
    }
  }
  // A delete goes alone, once the writes before it are acknowledged: the window stops short of
  // it (FillWindow) and, drained, it is sent here.
  if (!skip && max_in_flight_ > 1 && !(in_flight_.empty() && NextIsDelete())) {
    return StepPipelined();
  }
  SettleInFlight(true);  // a skip acts on the head, so nothing may be in flight behind it
  return StepSingle(skip);
}

// One request at a time, strictly: the next batch is only merged and gzipped while this one is out.
StepResult Sender::StepSingle(bool skip) {
  Batch batch;
  std::string compressed;
  // A batch staged before a 413 taught a smaller limit is built again at that limit.
  if (staged_ && staged_->first_record == popped_records_ &&
      staged_->first_offset == head_offset_ &&
      staged_->batch.body.size() <= CurrentLimits().max_bytes) {
    batch = std::move(staged_->batch);
    batch.completed_records = static_cast<size_t>(staged_->end_record - popped_records_);
    compressed = std::move(staged_->compressed);
    staged_.reset();
  } else {
    DiscardStaged();
    batch = NextBatchFrom(pending_, 0, head_offset_, CurrentLimits(), TakeSpareBody());
  }
  if (batch.is_delete()) {
    if (skip) {
      spdlog::warn("replication {}: skipping a queued delete on request",
                   options_.replication_name);
      DropLines(0, batch.delete_payload.size(), kDropSkipped);
      metrics_.CountDelete(kDeleteDropped);
      FinishBatch(batch);
      backoff_.Reset();
      SetState(pending_.empty() ? State::kIdle : State::kReplicating);
      return {StepResult::kContinue, {}};
    }
    Outcome outcome = DeliverDelete(batch.delete_payload);
    if (!outcome.done) return Failed(outcome);
    FinishBatch(batch);
    backoff_.Reset();
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.consecutive_failures = 0;
    }
    SetState(State::kReplicating);
    return {StepResult::kContinue, {}};
  }
  if (skip) {
    spdlog::warn("replication {}: skipping head batch of {} points on request",
                 options_.replication_name, batch.points);
    DropLines(batch.points, batch.body.size(), kDropSkipped);
    FinishBatch(batch);
    KeepSpareBody(std::move(batch.body));
    backoff_.Reset();
    SetState(pending_.empty() ? State::kIdle : State::kReplicating);
    return {StepResult::kContinue, {}};
  }
  std::future<Outcome> request = workers_.Submit([this, &batch, &compressed] {
    return Deliver(batch.body, batch.points, std::move(compressed));
  });
  Stage(batch);
  Outcome outcome = request.get();
  KeepSpareBody(std::move(batch.body));
  if (outcome.done) {
    FinishBatch(batch);
    backoff_.Reset();
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.consecutive_failures = 0;
    }
    SetState(State::kReplicating);
    return {StepResult::kContinue, {}};
  }
  // The head is retried later, perhaps split or skipped: the batch behind it is built again then.
  DiscardStaged();
  return Failed(outcome);
}

std::chrono::milliseconds Sender::LingerLeft() const {
  if (options_.linger.count() <= 0 || pending_.empty()) return {};
  if (pending_bytes_ - head_offset_ >= options_.batch.max_bytes) return {};
  uint64_t points = 0;
  for (const SourceRecord& r : pending_) {
    // A batch ends at a delete: waiting would not make it fuller.
    if (deletes::IsDeleteRecord(r.payload)) return {};
    points += r.points;
    if (points >= options_.batch.max_points) return {};
  }
  int64_t age_ns = clock_.WallNowNanos() - pending_.front().enqueue_time_ns;
  auto left = options_.linger - std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::nanoseconds(std::max<int64_t>(age_ns, 0)));
  return std::clamp(left, std::chrono::milliseconds{0}, options_.linger);
}

// Merges and gzips the batch after `current` (which starts at the head).
void Sender::Stage(const Batch& current) {
  DiscardStaged();
  if (!FillPending().ok()) return;  // the next Step reads again and reports the error
  size_t first = current.completed_records;
  if (first >= pending_.size()) return;
  Batch next =
      NextBatchFrom(pending_, first, current.next_offset, CurrentLimits(), TakeSpareBody());
  if (next.empty()) {
    KeepSpareBody(std::move(next.body));
    return;
  }
  Staged s;
  s.first_record = popped_records_ + first;
  s.first_offset = current.next_offset;
  s.end_record = popped_records_ + next.completed_records;
  if (!next.is_delete()) {
    Result<std::string> gz = codec::GzipCompress(next.body, options_.gzip_level);
    if (gz.ok()) s.compressed = std::move(gz).value();
  }
  s.batch = std::move(next);
  staged_ = std::move(s);
}

void Sender::DiscardStaged() {
  if (!staged_) return;
  KeepSpareBody(std::move(staged_->batch.body));
  staged_.reset();
}

StepResult Sender::StepPipelined() {
  bool more_to_send = FillWindow();
  if (in_flight_.empty()) {
    StoreDeferredAck();
    limit_.Drained();
    metrics_.SetInFlightLimit(limit_.current());
    SetState(State::kIdle);
    return {StepResult::kIdle, {}};
  }
  WaitForProgress(more_to_send);
  ReleaseAnsweredBodies();
  // Acknowledges, in order, every batch answered from the oldest on.
  bool answered = false, popped = false;
  uint64_t ack_position = 0;
  while (!in_flight_.empty()) {
    {
      std::lock_guard<std::mutex> lock(done_mu_);
      if (!in_flight_.front().answer->finished) break;
    }
    InFlight front = std::move(in_flight_.front());
    in_flight_.pop_front();
    Outcome outcome = std::move(front.answer->outcome);
    KeepSpareBody(std::move(front.batch->body));
    if (!outcome.done) {
      limit_.Failed();
      metrics_.SetInFlightLimit(limit_.current());
      if (popped) deferred_ack_ = ack_position;
      StoreDeferredAck();
      // The batches behind it may not be acknowledged before it: they are sent again after the
      // wait.
      SettleInFlight(false);
      return Failed(outcome);
    }
    answered = true;
    limit_.Succeeded(outcome.took, more_to_send);
    metrics_.SetInFlightLimit(limit_.current());
    head_offset_ = front.batch->next_offset;
    if (std::optional<uint64_t> last = Pop(front.end_record)) {
      ack_position = *last;
      popped = true;
    }
  }
  // One cursor store covers every batch answered since the last, and with cursor_interval every
  // batch answered within that interval.
  if (popped) deferred_ack_ = ack_position;
  if (deferred_ack_ && (in_flight_.empty() || DeferredAckLeft().count() <= 0)) {
    uint64_t position = *deferred_ack_;
    deferred_ack_.reset();
    last_store_ = clock_.Now();
    AckWhileRefilling(position);
  }
  if (answered) {
    backoff_.Reset();
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.consecutive_failures = 0;
    }
    SetState(State::kReplicating);
  }
  return {StepResult::kContinue, {}};
}

void Sender::AckWhileRefilling(uint64_t position) {
  auto stored = std::make_shared<bool>(false);  // guarded by done_mu_
  acknowledger_.Submit([this, position, stored] {
    AckThrough(position);
    {
      std::lock_guard<std::mutex> lock(done_mu_);
      *stored = true;
    }
    done_cv_.notify_all();
  });
  // Only pending_ and the window are touched meanwhile; the source is the acknowledger's.
  while (true) {
    bool more_to_send = FillWindow();
    {
      std::unique_lock<std::mutex> lock(done_mu_);
      done_cv_.wait(lock, [&] { return *stored || (more_to_send && MayStartMoreLocked()); });
      if (*stored) return;
    }
    ReleaseAnsweredBodies();
  }
}

void Sender::ReleaseAnsweredBodies() {
  std::lock_guard<std::mutex> lock(done_mu_);
  for (InFlight& f : in_flight_) {
    if (f.answer->finished && f.batch->body.capacity() > 0) {
      KeepSpareBody(std::move(f.batch->body));
      f.batch->body = std::string();
    }
  }
}

size_t Sender::WindowBatches() const {
  // With one request out nothing can be answered behind it; the waiting room (and the read-ahead
  // that fills it) is only held while the adaptive limit is above one, i.e. while draining.
  const int limit = limit_.current();
  if (limit <= 1) return 1;
  size_t waiting = kWindowBytes / std::max<size_t>(options_.batch.max_bytes, 1);
  return static_cast<size_t>(limit) + std::min(waiting, kMaxWaitingBatches);
}

bool Sender::MayStartMoreLocked() const {
  if (in_flight_.size() >= WindowBatches()) return false;
  int running = 0;
  for (const InFlight& f : in_flight_) {
    if (!f.answer->finished) {
      ++running;
    } else if (!f.answer->outcome.done) {
      return false;
    }
  }
  return running < limit_.current();
}

void Sender::WaitForProgress(bool more_to_send) {
  auto progress = [&] {
    return in_flight_.front().answer->finished || (more_to_send && MayStartMoreLocked());
  };
  std::unique_lock<std::mutex> lock(done_mu_);
  if (deferred_ack_) {
    // Not past the interval: a request that takes its whole timeout must not hold the cursor.
    done_cv_.wait_for(lock, DeferredAckLeft(), progress);
    return;
  }
  done_cv_.wait(lock, progress);
}

void Sender::StoreDeferredAck() {
  if (!deferred_ack_) return;
  uint64_t position = *deferred_ack_;
  deferred_ack_.reset();
  last_store_ = clock_.Now();
  AckThrough(position);
}

std::chrono::milliseconds Sender::DeferredAckLeft() const {
  if (!deferred_ack_) return {};
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      last_store_ + options_.cursor_interval - clock_.Now());
  return std::max(left, std::chrono::milliseconds{0});
}

// Each request gzips its own body on its own thread, so compression overlaps the other requests'
// round trips.
bool Sender::FillWindow() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(done_mu_);
      if (!MayStartMoreLocked()) return true;
    }
    size_t first = static_cast<size_t>(next_record_ - popped_records_);
    if (first >= pending_.size()) return false;
    // Not while writes before it are out: Step sends it alone once they are acknowledged.
    if (deletes::IsDeleteRecord(pending_[first].payload)) return false;
    auto batch = std::make_unique<Batch>(
        NextBatchFrom(pending_, first, next_offset_, CurrentLimits(), TakeSpareBody()));
    if (batch->empty() && batch->completed_records == first && batch->next_offset == next_offset_) {
      KeepSpareBody(std::move(batch->body));
      return false;
    }
    InFlight f;
    f.end_record = popped_records_ + batch->completed_records;
    next_record_ = f.end_record;
    next_offset_ = batch->next_offset;
    const Batch* b = batch.get();
    f.batch = std::move(batch);
    f.answer = std::make_shared<Answer>();
    workers_.Submit([this, b, answer = f.answer] {
      Outcome o = Deliver(b->body, b->points);
      {
        std::lock_guard<std::mutex> lock(done_mu_);
        answer->outcome = std::move(o);
        answer->finished = true;
      }
      done_cv_.notify_all();
    });
    in_flight_.push_back(std::move(f));
  }
}

// Waits for every request in flight. With `keep_successes`, the ones the remote took are
// acknowledged in order up to the first it did not; the rest are forgotten and sent again.
void Sender::SettleInFlight(bool keep_successes) {
  bool in_order = keep_successes;
  bool popped = false;
  uint64_t ack_position = 0;
  while (!in_flight_.empty()) {
    InFlight f = std::move(in_flight_.front());
    in_flight_.pop_front();
    {
      std::unique_lock<std::mutex> lock(done_mu_);
      done_cv_.wait(lock, [&] { return f.answer->finished; });
    }
    KeepSpareBody(std::move(f.batch->body));
    if (in_order && f.answer->outcome.done) {
      head_offset_ = f.batch->next_offset;
      if (std::optional<uint64_t> last = Pop(f.end_record)) {
        ack_position = *last;
        popped = true;
      }
    } else {
      in_order = false;
    }
  }
  if (popped) deferred_ack_ = ack_position;
  StoreDeferredAck();
  next_record_ = popped_records_;
  next_offset_ = head_offset_;
}

// Pops the records numbered below `end_record` and acknowledges the last of them.
void Sender::PopRecords(uint64_t end_record) {
  if (std::optional<uint64_t> last = Pop(end_record)) AckThrough(*last);
}

std::optional<uint64_t> Sender::Pop(uint64_t end_record) {
  if (popped_records_ >= end_record) return std::nullopt;
  uint64_t last = 0;
  for (; popped_records_ < end_record; ++popped_records_) {
    last = pending_.front().position;
    pending_bytes_ -= pending_.front().payload.size();
    pending_.pop_front();
  }
  return last;
}

void Sender::AckThrough(uint64_t position) {
  Status st = source_.Ack(position);
  if (!st.ok()) {
    // Delivered but not recorded: a restart resends these batches, nothing is lost.
    spdlog::error("replication {}: saving cursor: {}", options_.replication_name, st.ToString());
  }
}

StepResult Sender::Failed(const Outcome& outcome) {
  // With requests in parallel, another answer may have been recorded last; report the one that
  // holds the queue back.
  RecordAnswer(outcome.code, outcome.message);
  State state = State::kBackoff;
  switch (outcome.decision.action) {
    case Action::kUnauthorized:
      state = State::kUnauthorized;
      break;
    case Action::kNotFound:
      state = State::kNotFound;
      break;
    case Action::kNonRetryable:
    case Action::kTooLarge:
      state = State::kStalled;
      break;
    default:
      break;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++status_.consecutive_failures;
  }
  SetState(state);
  // The backoff advances on every failure, a Retry-After too, so a remote that keeps answering
  // "Retry-After: 0" is retried at the backoff's pace, not at once (RetryDelay).
  return {StepResult::kWait, RetryDelay(outcome.decision.retry_after, backoff_.NextBackOff())};
}

Sender::Outcome Sender::Deliver(std::string_view body, uint64_t points, std::string compressed) {
  int status = 0;
  Outcome o = Post(body, points, &status, std::move(compressed));
  if (o.done) return o;
  Action a = o.decision.action;
  if (a != Action::kTooLarge && a != Action::kNonRetryable) return o;
  bool single_line = CountLines(body) <= 1;
  if (a == Action::kTooLarge && !single_line) {
    size_t limit = body_limit_.Refused(body.size());
    spdlog::info(
        "replication {}: remote refused a {} byte body (HTTP 413); batches are built at "
        "up to {} bytes",
        options_.replication_name, body.size(), limit);
    return DeliverSplit(body);
  }
  // 400/422, or 413 for one line: the remote will never take (some of) these lines.
  o.decision.action = Action::kNonRetryable;
  if (!options_.drop_non_retryable) return o;
  if (!single_line) return DeliverSplit(body);
  spdlog::warn("replication {}: remote refused a line (HTTP {}), dropped: {}",
               options_.replication_name, status, Snapshot().latest_error_message);
  DropLines(1, body.size(), kDropNonRetryable);
  return {true, {Action::kSuccess, std::nullopt}, status, ""};
}

// Halves at a line boundary and delivers left then right, so order is kept. If the right half
// then fails retryably, the whole batch is retried later and the left half is sent again; a
// line-protocol write of the same points is idempotent at the remote.
Sender::Outcome Sender::DeliverSplit(std::string_view body) {
  uint64_t lines = CountLines(body);
  uint64_t half = lines / 2;
  size_t cut = 0;
  for (uint64_t i = 0; i < half; ++i) cut = body.find('\n', cut) + 1;
  std::string_view left = body.substr(0, cut), right = body.substr(cut);
  Outcome o = Deliver(left, half);
  if (!o.done) return o;
  return Deliver(right, lines - half);
}

bool Sender::NextIsDelete() const {
  size_t i = static_cast<size_t>(next_record_ - popped_records_);
  return i < pending_.size() && deletes::IsDeleteRecord(pending_[i].payload);
}

Sender::Outcome Sender::DeliverDelete(std::string_view payload) {
  Result<deletes::DeleteSpec> spec = deletes::DecodeRecord(payload);
  if (!spec.ok()) {
    // Passed the queue's checksum but not this version's decoder: it can never be applied.
    spdlog::error("replication {}: dropping a queued delete that cannot be read: {}",
                  options_.replication_name, spec.status().message());
    DropLines(0, payload.size(), kDropNonRetryable);
    metrics_.CountDelete(kDeleteDropped);
    return {true, {Action::kSuccess, std::nullopt}, 0, ""};
  }
  auto start = clock_.Now();
  Result<http::HttpResponse> response = http_.Send(BuildDeleteRequest(*spec));
  double seconds = std::chrono::duration<double>(clock_.Now() - start).count();
  if (!response.ok()) {
    metrics_.ObserveRequest(0, seconds);
    return {false, {Action::kRetry, std::nullopt}, 0, RecordAnswer(0, response.status().message())};
  }
  const int code = response->status;
  metrics_.ObserveRequest(code, seconds);
  auto wall = clock_.WallNow();
  Decision d = Classify(code, response->headers, wall, options_.backoff_max * 10);
  // A v1 remote answers a failed statement with 200 and the error in the body.
  std::string refusal;
  if (d.action == Action::kSuccess && options_.protocol == Protocol::kV1) {
    refusal = deletes::QueryAnswerError(response->body);
  }
  if (d.action == Action::kSuccess && refusal.empty()) {
    metrics_.CountDelete(kDeleteApplied);
    RecordAnswer(code, "");
    std::lock_guard<std::mutex> lock(mu_);
    status_.last_success_time = wall;
    return {true, d, code, ""};
  }
  if (!refusal.empty()) d = {Action::kNonRetryable, std::nullopt};
  std::string message = RecordAnswer(code, !refusal.empty()         ? "delete refused: " + refusal
                                           : response->body.empty() ? "HTTP " + std::to_string(code)
                                                                    : response->body);
  if (d.action == Action::kNonRetryable || d.action == Action::kTooLarge) {
    d.action = Action::kNonRetryable;
    metrics_.CountDelete(kDeleteRefused);
    if (options_.drop_non_retryable) {
      spdlog::warn("replication {}: remote refused a delete (HTTP {}), dropped: {}",
                   options_.replication_name, code, message);
      DropLines(0, payload.size(), kDropNonRetryable);
      metrics_.CountDelete(kDeleteDropped);
      return {true, {Action::kSuccess, std::nullopt}, code, ""};
    }
  }
  return {false, d, code, message};
}

http::HttpRequest Sender::BuildDeleteRequest(const deletes::DeleteSpec& spec) const {
  http::HttpRequest req;
  req.method = "POST";
  if (options_.protocol == Protocol::kV1) {
    // InfluxQL's DELETE acts on every retention policy of the database, as it did locally.
    std::string_view bucket = options_.bucket;
    req.target = "/query?db=" + codec::PercentEncode(bucket.substr(0, bucket.find('/')));
    req.body = "q=" + codec::PercentEncode(deletes::RenderInfluxQL(spec));
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  } else {
    req.target = "/api/v2/delete?orgID=" + codec::PercentEncode(options_.org_id) +
                 (options_.bucket_is_id ? "&bucketID=" : "&bucket=") +
                 codec::PercentEncode(options_.bucket);
    req.body = deletes::RenderV2Body(spec);
    req.headers = {{"Content-Type", "application/json"}};
  }
  req.headers.emplace_back("User-Agent", std::string("edgerepl/") + EDGEREPL_VERSION);
  AddCredentials(options_.token, options_.user, options_.protocol == Protocol::kV1, req);
  return req;
}

Sender::Outcome Sender::Post(std::string_view body, uint64_t points, int* status_out,
                             std::string precompressed) {
  *status_out = 0;
  Result<std::string> compressed = precompressed.empty()
                                       ? codec::GzipCompress(body, options_.gzip_level)
                                       : Result<std::string>(std::move(precompressed));
  if (!compressed.ok()) {
    RecordAnswer(0, compressed.status().ToString());
    return {false, {Action::kRetry, std::nullopt}, 0, compressed.status().ToString()};
  }
  size_t wire_bytes = compressed->size();
  auto start = clock_.Now();
  Result<http::HttpResponse> response = http_.Send(BuildRequest(std::move(compressed).value()));
  const auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Now() - start);
  double seconds = std::chrono::duration<double>(took).count();
  if (!response.ok()) {
    metrics_.ObserveRequest(0, seconds);
    return {false,
            {Action::kRetry, std::nullopt},
            0,
            RecordAnswer(0, response.status().message()),
            took};
  }
  int code = response->status;
  *status_out = code;
  metrics_.ObserveRequest(code, seconds);
  auto wall = clock_.WallNow();
  Decision d = Classify(code, response->headers, wall, options_.backoff_max * 10);
  if (d.action == Action::kSuccess) {
    body_limit_.Accepted(body.size());
    metrics_.ObserveSent(points, body.size(), wire_bytes,
                         std::chrono::duration<double>(wall.time_since_epoch()).count());
    RecordAnswer(code, "");
    std::lock_guard<std::mutex> lock(mu_);
    status_.last_success_time = wall;
    return {true, d, code, "", took};
  }
  return {
      false, d, code,
      RecordAnswer(code, response->body.empty() ? "HTTP " + std::to_string(code) : response->body),
      took};
}

http::HttpRequest Sender::BuildRequest(std::string compressed) const {
  http::HttpRequest req;
  req.method = "POST";
  req.target = target_;
  req.body = std::move(compressed);
  req.headers = {{"Content-Encoding", "gzip"},
                 {"Content-Type", "text/plain; charset=utf-8"},
                 {"User-Agent", std::string("edgerepl/") + EDGEREPL_VERSION}};
  AddCredentials(options_.token, options_.user, options_.protocol == Protocol::kV1, req);
  return req;
}

Status Sender::FillPending() {
  // Enough for every batch the window may hold and one more, so the next batch is ready (with one
  // in flight: already gzipped) the moment a request is answered.
  size_t batches = (max_in_flight_ > 1 ? WindowBatches() : 1) + 1;
  size_t want = options_.batch.max_bytes * batches;
  if (pending_bytes_ >= want) return Status::Ok();
  Result<std::vector<SourceRecord>> records = source_.ReadNext(want - pending_bytes_);
  if (!records.ok()) return records.status();
  for (SourceRecord& r : *records) {
    pending_bytes_ += r.payload.size();
    pending_.push_back(std::move(r));
  }
  return Status::Ok();
}

std::string Sender::TakeSpareBody() {
  if (spare_bodies_.empty()) return {};
  std::string body = std::move(spare_bodies_.back());
  spare_bodies_.pop_back();
  return body;
}

void Sender::KeepSpareBody(std::string body) {
  // One per request in flight and one being built is all a steady drain uses.
  if (spare_bodies_.size() <= static_cast<size_t>(max_in_flight_)) {
    spare_bodies_.push_back(std::move(body));
  }
}

void Sender::FinishBatch(const Batch& batch) {
  head_offset_ = batch.next_offset;
  PopRecords(popped_records_ + batch.completed_records);
  // Nothing is in flight on this path: pipelining resumes at the new head.
  next_record_ = popped_records_;
  next_offset_ = head_offset_;
}

void Sender::DropLines(uint64_t points, uint64_t bytes, std::string_view reason) {
  {
    std::lock_guard<std::mutex> lock(drop_mu_);
    source_.ReportDropped(points, bytes, reason);
  }
  std::lock_guard<std::mutex> lock(mu_);
  status_.dropped_points[std::string(reason)] += points;
}

void Sender::SetState(State state) {
  // A full queue is losing (or refusing) writes: that outranks "sending" and "waiting".
  if ((state == State::kReplicating || state == State::kBackoff) && source_.Full()) {
    state = State::kQueueFull;
  }
  double age = OldestAgeSeconds();
  std::lock_guard<std::mutex> lock(mu_);
  status_.state = state;
  status_.oldest_pending_age_seconds = age;
  metrics_.SetState(state);
}

std::string Sender::RecordAnswer(int code, std::string message) {
  message = Redact(std::move(message));
  if (message.size() > kMaxErrorMessageBytes) {
    message.resize(kMaxErrorMessageBytes);
    message += "…";
  }
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::lock_guard<std::mutex> lock(mu_);
  status_.latest_response_code = code;
  status_.latest_error_message = message;
  return message;
}

std::string Sender::Redact(std::string message) const {
  for (const std::string* secret : {&options_.token, &options_.user.password}) {
    if (secret->empty()) continue;
    constexpr std::string_view kRedacted = "[redacted]";
    // Searched on after the replacement: a secret that occurs in "[redacted]" itself (a short
    // token) would otherwise be found in it again, forever.
    for (size_t at = message.find(*secret); at != std::string::npos;
         at = message.find(*secret, at + kRedacted.size())) {
      message.replace(at, secret->size(), kRedacted);
    }
  }
  // Then every secret of the config (another remote's token, the admin token) in every form a
  // remote or proxy may echo it in: the registry the logs are redacted with, one for the agent.
  return log::GlobalSecrets().Redact(message);
}

double Sender::OldestAgeSeconds() const {
  if (pending_.empty()) return 0;
  int64_t age_ns = clock_.WallNowNanos() - pending_.front().enqueue_time_ns;
  return age_ns > 0 ? static_cast<double>(age_ns) / 1e9 : 0;
}

}  // namespace edgerepl::sender
