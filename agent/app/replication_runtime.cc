#include "agent/app/replication_runtime.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "agent/backfill/plan.h"
#include "agent/sender/from_config.h"
#include "common/config/timestamp.h"

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
  // A backfill that cannot start leaves live replication running; status shows no backfill.
  if (Status st = runtime->StartBackfillLocked(); !st.ok()) {
    spdlog::error("replication {}: backfill: {}", runtime->config_.replication.name, st.ToString());
  }
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
  source_->SetOnAck([this] {
    std::lock_guard<std::mutex> lock(backfill_notify_mu_);
    if (backfill_notify_) backfill_notify_->LiveAcknowledged();
  });
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
  StopBackfillLocked();
  StopSender();
  const bool reopen = !queue_ || config.replication.name != config_.replication.name ||
                      config.queue_dir != config_.queue_dir ||
                      config.durability != config_.durability ||
                      config.sync_interval != config_.sync_interval;
  const bool renamed = config.replication.name != config_.replication.name;
  config_ = std::move(config);
  client_ = std::move(client);
  if (renamed) {  // their series carry the old name
    sender_metrics_.reset();
    backfill_metrics_.reset();
  }
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
  if (Status st = StartBackfillLocked(); !st.ok()) {
    spdlog::error("replication {}: backfill: {}", config_.replication.name, st.ToString());
  }
  return Status::Ok();
}

void ReplicationRuntime::Close() {
  std::unique_lock<std::shared_mutex> lock(queue_mu_);
  StopBackfillLocked();
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
  backfill_metrics_.reset();
}

Status ReplicationRuntime::StartBackfillLocked(std::optional<backfill::Progress> job) {
  if (!backfill_metrics_) {
    backfill_metrics_ =
        std::make_unique<backfill::BackfillMetrics>(deps_.registry, config_.replication.name);
  }
  if (!config_.local || !queue_) return Status::Ok();
  const std::string dir = BackfillDir();
  std::optional<backfill::Progress> stored;
  Result<backfill::Progress> loaded = backfill::LoadProgress(deps_.fs, dir);
  if (loaded.ok()) {
    stored = *loaded;
  } else if (!loaded.status().IsNotFound()) {
    // Reading the range again from its start only sends points the remote already has.
    spdlog::warn("replication {}: {}; the config's backfill starts over", config_.replication.name,
                 loaded.status().ToString());
  }
  std::optional<backfill::Progress> plan =
      job ? job : backfill::PlanFromConfig(stored, config_.replication.backfill);
  if (!plan) return Status::Ok();
  if (plan != stored) {
    EDGEREPL_RETURN_IF_ERROR(deps_.fs.MkdirAll(dir));
    EDGEREPL_RETURN_IF_ERROR(backfill::StoreProgress(deps_.fs, dir, *plan));
  }
  if (!stored || stored->from_ns != plan->from_ns || stored->to_ns != plan->to_ns) {
    spdlog::info("replication {}: backfill of {} .. {} ({}), at most {} points/s",
                 config_.replication.name, config::FormatTimestamp(plan->from_ns),
                 config::FormatTimestamp(plan->to_ns),
                 plan->origin == backfill::Origin::kAdmin ? "admin call" : "config",
                 plan->max_points_per_second);
  }
  BackfillDeps deps{deps_.clock, deps_.random, deps_.fs, *backfill_metrics_};
  auto opened = BackfillRuntime::Open(config_.replication, config_.remote, config_.durability,
                                      config_.sync_interval, dir, *plan, *queue_, *client_,
                                      *config_.local, config_.local_token, deps);
  if (!opened.ok()) return opened.status();
  backfill_ = std::move(opened).value();
  std::lock_guard<std::mutex> notify(backfill_notify_mu_);
  backfill_notify_ = backfill_.get();
  return Status::Ok();
}

void ReplicationRuntime::StopBackfillLocked() {
  {
    std::lock_guard<std::mutex> notify(backfill_notify_mu_);
    backfill_notify_ = nullptr;
  }
  if (!backfill_) return;
  backfill_record_ = backfill_->Snapshot();
  backfill_->Stop();
  backfill_.reset();
}

Status ReplicationRuntime::StartBackfill(const admin::BackfillRequest& request) {
  std::unique_lock<std::shared_mutex> lock(queue_mu_);
  if (!queue_) return Status::Aborted("replication closed");
  StopBackfillLocked();
  config::BackfillConfig wanted;
  wanted.from_ns = request.from_ns;
  wanted.to_ns = request.to_ns;
  wanted.max_points_per_second = request.max_points_per_second;
  return StartBackfillLocked(backfill::PlanFromAdmin(wanted, config_.replication.backfill));
}

Status ReplicationRuntime::CancelBackfill() {
  std::unique_lock<std::shared_mutex> lock(queue_mu_);
  if (!backfill_)
    return Status::NotFound("replication " + config_.replication.id + " has no backfill running");
  StopBackfillLocked();  // the runner stores its progress as it stops
  Result<backfill::Progress> p = backfill::LoadProgress(deps_.fs, BackfillDir());
  if (!p.ok()) return p.status();
  p->cancelled = true;
  // Started again, cancelled: what it queued is still sent.
  return StartBackfillLocked(*p);
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

void ReplicationRuntime::CountDelete(std::string_view result) {
  std::shared_lock<std::shared_mutex> lock(queue_mu_);
  if (sender_metrics_) sender_metrics_->CountDelete(result);
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
  if (r.replicate_deletes && sender_metrics_) s.deletes = sender_metrics_->DeleteCounts();
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
  s.backfill =
      backfill_ ? std::optional<admin::BackfillStatus>(backfill_->Snapshot()) : backfill_record_;
  return s;
}

}  // namespace edgerepl::app
