#include "agent/app/replication_runtime.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "agent/sender/from_config.h"

namespace edgerepl::app {

ReplicationRuntime::ReplicationRuntime(RuntimeConfig config,
                                       std::shared_ptr<http::HttpClient> client, RuntimeDeps deps)
    : config_(std::move(config)), client_(std::move(client)), deps_(deps) {}

ReplicationRuntime::~ReplicationRuntime() {
  Close();
}

Result<std::shared_ptr<ReplicationRuntime>> ReplicationRuntime::Open(
    RuntimeConfig config, std::shared_ptr<http::HttpClient> client, RuntimeDeps deps) {
  std::shared_ptr<ReplicationRuntime> runtime(
      new ReplicationRuntime(std::move(config), std::move(client), deps));
  std::unique_lock<std::shared_mutex> lock(runtime->queue_mu_);
  EDGEREPL_RETURN_IF_ERROR(runtime->OpenQueue());
  runtime->StartSender();
  return runtime;
}

Status ReplicationRuntime::OpenQueue() {
  queue::QueueOptions options;
  options.dir = config_.queue_dir;
  options.max_bytes = config_.replication.max_queue_size_bytes;
  options.max_age_seconds = static_cast<int64_t>(config_.replication.max_age_seconds);
  options.durability = config_.durability;
  options.sync_interval = config_.sync_interval;
  auto metrics = std::make_unique<queue::QueueMetrics>(deps_.registry, config_.replication.name);
  auto opened = queue::Queue::Open(options, deps_.fs, deps_.clock, metrics.get());
  if (!opened.ok()) {
    return Status(opened.status().code(), "replication \"" + config_.replication.name +
                                              "\": cannot open queue " + config_.queue_dir + ": " +
                                              opened.status().message());
  }
  queue_metrics_ = std::move(metrics);
  queue_ = std::move(opened).value();
  return Status::Ok();
}

void ReplicationRuntime::StartSender() {
  source_ = std::make_unique<Source>(*queue_, rejecting_);
  if (!sender_metrics_) {
    sender_metrics_ =
        std::make_unique<sender::SenderMetrics>(deps_.registry, config_.replication.name);
  }
  sender_ = std::make_unique<sender::Sender>(
      sender::SenderOptionsFromConfig(config_.remote, config_.replication), *client_, *source_,
      deps_.clock, deps_.random, *sender_metrics_);
  sender_->Start();
  // Whatever a previous run left queued is sent at once, not after the first new write.
  sender_->NotifyAppended();
}

void ReplicationRuntime::StopSender() {
  if (sender_) sender_->Stop();
  sender_.reset();
  source_.reset();
}

Status ReplicationRuntime::Reconfigure(RuntimeConfig config,
                                       std::shared_ptr<http::HttpClient> client) {
  std::unique_lock<std::shared_mutex> lock(queue_mu_);
  StopSender();
  const bool reopen = !queue_ || config.replication.name != config_.replication.name ||
                      config.queue_dir != config_.queue_dir ||
                      config.durability != config_.durability ||
                      config.sync_interval != config_.sync_interval;
  const bool renamed = config.replication.name != config_.replication.name;
  config_ = std::move(config);
  client_ = std::move(client);
  if (renamed) sender_metrics_.reset();  // its series carry the old name
  if (reopen) {
    if (queue_) {
      Status st = queue_->Close();
      if (!st.ok())
        spdlog::warn("replication {}: closing queue: {}", config_.replication.name, st.ToString());
      queue_.reset();
    }
    queue_metrics_.reset();
    EDGEREPL_RETURN_IF_ERROR(OpenQueue());
  } else {
    queue_->SetLimits(config_.replication.max_queue_size_bytes,
                      static_cast<int64_t>(config_.replication.max_age_seconds));
    // The old sender may have read records it never got acknowledged; the new one starts from
    // the durable cursor so they are sent again, not skipped.
    queue_->RewindToCursor();
  }
  StartSender();
  return Status::Ok();
}

void ReplicationRuntime::Close() {
  std::unique_lock<std::shared_mutex> lock(queue_mu_);
  StopSender();
  if (queue_) {
    Status st = queue_->Close();
    if (!st.ok()) {
      spdlog::warn("replication {}: closing queue: {}", config_.replication.name, st.ToString());
    }
    queue_.reset();
  }
  // Its series leave /metrics now, not when the last request holding this runtime lets go.
  queue_metrics_.reset();
  sender_metrics_.reset();
}

RuntimeConfig ReplicationRuntime::runtime_config() const {
  std::shared_lock<std::shared_mutex> lock(queue_mu_);
  return config_;
}

bool ReplicationRuntime::HasRoomFor(uint64_t bytes) const {
  std::shared_lock<std::shared_mutex> lock(queue_mu_);
  bool room = queue_ ? queue_->HasRoomFor(bytes) : true;
  // Never refused behind records that max age already condemns: drop them and look again.
  if (!room && ExpiredSome()) room = queue_->HasRoomFor(bytes);
  if (!room) rejecting_ = true;
  return room;
}

Status ReplicationRuntime::Append(std::string_view payload, uint32_t points) {
  std::shared_lock<std::shared_mutex> lock(queue_mu_);
  if (!queue_) return Status::Aborted("replication closed");
  Status st = queue_->Append(payload, points);
  if (st.IsNoSpace() && ExpiredSome()) st = queue_->Append(payload, points);
  if (st.ok()) rejecting_ = false;
  if (st.ok() && sender_) sender_->NotifyAppended();
  return st;
}

bool ReplicationRuntime::ExpiredSome() const {
  Result<uint64_t> expired = queue_->ExpireOld();
  if (!expired.ok()) {
    spdlog::error("replication {}: dropping expired records: {}", config_.replication.name,
                  expired.status().ToString());
    return false;
  }
  return *expired > 0;
}

void ReplicationRuntime::CountDropped(uint64_t points, uint64_t bytes, std::string_view reason) {
  std::shared_lock<std::shared_mutex> lock(queue_mu_);
  if (queue_) queue_->CountDropped(points, bytes, reason);
}

void ReplicationRuntime::SkipHead() {
  std::shared_lock<std::shared_mutex> lock(queue_mu_);
  if (sender_) sender_->SkipHead();
}

void ReplicationRuntime::RetryNow() {
  std::shared_lock<std::shared_mutex> lock(queue_mu_);
  if (sender_) sender_->RetryNow();
}

admin::ReplicationStatus ReplicationRuntime::Snapshot() const {
  std::shared_lock<std::shared_mutex> lock(queue_mu_);
  admin::ReplicationStatus s;
  const auto& r = config_.replication;
  s.id = r.id;
  s.name = r.name;
  s.remote = r.remote;
  s.local_bucket = r.local_bucket;
  s.local_bucket_id = r.local_bucket_id;
  s.local_org = r.local_org;
  s.remote_bucket = r.remote_bucket;
  s.remote_bucket_id = r.remote_bucket_id;
  s.max_queue_size_bytes = r.max_queue_size_bytes;
  s.max_age_seconds = r.max_age_seconds;
  s.drop_non_retryable_data = r.drop_non_retryable_data;
  if (sender_) {
    sender::SenderStatus st = sender_->Snapshot();
    s.state = st.state;
    s.last_success_time = st.last_success_time;
    s.consecutive_failures = st.consecutive_failures;
    s.latest_response_code = st.latest_response_code;
    s.latest_error_message = st.latest_error_message;
    s.oldest_pending_age_seconds = st.oldest_pending_age_seconds;
    s.dropped_points = st.dropped_points;
    // The sender re-evaluates its state on its next attempt; a queue that filled up since then
    // is reported now.
    if ((s.state == sender::State::kReplicating || s.state == sender::State::kBackoff) && source_ &&
        source_->Full()) {
      s.state = sender::State::kQueueFull;
    }
  } else if (r.suspend) {
    s.state = sender::State::kSuspended;
  }
  if (queue_) {
    queue::QueueStats q = queue_->Stats();
    s.current_queue_size_bytes = q.bytes;
    s.pending_points = q.pending_points;
    if (q.oldest_enqueue_ns > 0) {
      double age = static_cast<double>(deps_.clock.WallNowNanos() - q.oldest_enqueue_ns) / 1e9;
      s.oldest_pending_age_seconds = age > 0 ? age : 0;
    } else {
      s.oldest_pending_age_seconds = 0;
    }
    // The queue counts every drop (its own and those the sender reports through the source); the
    // sender's own tally can only be behind it.
    for (const auto& [reason, counts] : q.dropped) {
      uint64_t& points = s.dropped_points[reason];
      points = std::max(points, counts.first);
    }
  }
  return s;
}

}  // namespace edgerepl::app
