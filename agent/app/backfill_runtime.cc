#include "agent/app/backfill_runtime.h"

#include <spdlog/spdlog.h>

#include "agent/backfill/influxql_reader.h"
#include "agent/sender/from_config.h"

namespace edgerepl::app {

// The backfill queue as its sender reads it, empty while the live queue has a backlog.
class BackfillRuntime::GatedSource final : public sender::RecordSource {
 public:
  GatedSource(queue::Queue& backfill, queue::Queue& live, uint64_t batch_points, const Clock& clock)
      : inner_(backfill), live_(live), batch_points_(batch_points), clock_(clock) {}

  Result<std::vector<sender::SourceRecord>> ReadNext(size_t max_bytes) override {
    if (LiveBacklogged()) return std::vector<sender::SourceRecord>{};
    return inner_.ReadNext(max_bytes);
  }
  Status Ack(uint64_t position) override {
    Status st = inner_.Ack(position);
    if (on_ack_) on_ack_();
    return st;
  }
  void ReportDropped(uint64_t points, uint64_t bytes, std::string_view reason) override {
    inner_.ReportDropped(points, bytes, reason);
  }
  bool Full() const override { return false; }  // the runner waits instead of filling it
  void SetOnAck(std::function<void()> f) { on_ack_ = std::move(f); }

 private:
  bool LiveBacklogged() const {
    queue::QueueStats s = live_.Stats();
    if (s.pending_points >= batch_points_) return true;
    if (s.oldest_enqueue_ns == 0) return false;
    return clock_.WallNowNanos() - s.oldest_enqueue_ns >
           std::chrono::nanoseconds(kLiveBacklogAge).count();
  }

  queue::QueueSource inner_;
  std::function<void()> on_ack_;
  queue::Queue& live_;
  const uint64_t batch_points_;
  const Clock& clock_;
};

class BackfillRuntime::QueueSink final : public backfill::Sink {
 public:
  QueueSink(queue::Queue& queue, uint64_t max_bytes) : queue_(queue), max_bytes_(max_bytes) {}
  void SetSender(sender::Sender* sender) { sender_ = sender; }

  Status Append(std::string_view payload, uint32_t points) override {
    Status st = queue_.Append(payload, points);
    if (st.ok() && sender_) sender_->NotifyAppended();
    return st;
  }
  // Half the queue's limit: well below full, so no append is ever refused for room.
  bool Backlogged() const override { return queue_.Stats().bytes > max_bytes_ / 2; }

 private:
  queue::Queue& queue_;
  const uint64_t max_bytes_;
  sender::Sender* sender_ = nullptr;
};

BackfillRuntime::BackfillRuntime(std::string name, std::string dir, BackfillDeps deps)
    : name_(std::move(name)), dir_(std::move(dir)), deps_(deps) {}

BackfillRuntime::~BackfillRuntime() {
  Stop();
}

Result<std::unique_ptr<BackfillRuntime>> BackfillRuntime::Open(
    const config::ReplicationConfig& replication, const config::RemoteConfig& remote_config,
    config::Durability durability, std::chrono::milliseconds sync_interval, std::string dir,
    backfill::Progress progress, queue::Queue& live, http::HttpClient& remote,
    http::HttpClient& local, const std::string& local_token, BackfillDeps deps) {
  std::unique_ptr<BackfillRuntime> rt(new BackfillRuntime(replication.name, dir, deps));
  queue::QueueOptions options;
  options.dir = dir;
  options.max_bytes = replication.max_queue_size_bytes;
  options.max_age_seconds = 0;  // history is old by definition; it waits for the remote
  options.durability = durability;
  options.sync_interval = sync_interval;
  auto opened = queue::Queue::Open(options, deps.fs, deps.clock, nullptr);
  if (!opened.ok()) {
    return Status(opened.status().code(), "replication \"" + replication.name +
                                              "\": cannot open backfill queue " + dir + ": " +
                                              opened.status().message());
  }
  rt->queue_ = std::move(opened).value();
  rt->source_ =
      std::make_unique<GatedSource>(*rt->queue_, live, replication.batch.max_points, deps.clock);
  rt->sink_ = std::make_unique<QueueSink>(*rt->queue_, replication.max_queue_size_bytes);

  sender::SenderOptions so = sender::SenderOptionsFromConfig(remote_config, replication);
  so.replication_name = replication.name + " (backfill)";
  so.max_age = std::chrono::seconds(0);
  rt->sender_metrics_ =
      std::make_unique<sender::SenderMetrics>(rt->sender_registry_, replication.name);
  rt->sender_ = std::make_unique<sender::Sender>(so, remote, *rt->source_, deps.clock, deps.random,
                                                 *rt->sender_metrics_);
  const bool finished = progress.cancelled || progress.done_until_ns >= progress.to_ns;
  // The local's "db" or "db/rp", as the replication matches writes.
  backfill::InfluxqlSource source;
  const std::string& bucket = replication.local_bucket;
  size_t slash = bucket.find('/');
  source.db = bucket.substr(0, slash);
  if (slash != std::string::npos) source.rp = bucket.substr(slash + 1);
  source.measurements = replication.measurements;
  rt->runner_ = std::make_unique<backfill::Runner>(
      replication.name, dir, std::move(progress),
      std::make_unique<backfill::InfluxqlReader>(local, std::move(source), local_token), *rt->sink_,
      deps.clock, deps.fs, &deps.metrics);
  rt->sink_->SetSender(rt->sender_.get());
  // The metrics follow the backfill queue as the remote takes it, not only when status is read.
  BackfillRuntime* self = rt.get();
  rt->source_->SetOnAck([self] { self->Snapshot(); });
  rt->sender_->Start();
  rt->sender_->NotifyAppended();

  if (!finished) rt->runner_->Start();
  return rt;
}

void BackfillRuntime::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (runner_) runner_->Stop();
  if (sender_) sender_->Stop();
  if (sink_) sink_->SetSender(nullptr);
  if (queue_) {
    Status st = queue_->Close();
    if (!st.ok()) spdlog::warn("replication {}: closing backfill queue: {}", name_, st.ToString());
  }
}

void BackfillRuntime::LiveAcknowledged() {
  if (sender_) sender_->NotifyAppended();
}

admin::BackfillStatus BackfillRuntime::Snapshot() const {
  admin::BackfillStatus s;
  backfill::RunnerStatus r = runner_->Snapshot();
  const backfill::Progress& p = r.progress;
  s.from_ns = p.from_ns;
  s.to_ns = p.to_ns;
  s.done_until_ns = p.done_until_ns;
  s.points = p.points;
  s.max_points_per_second = p.max_points_per_second;
  s.origin = p.origin == backfill::Origin::kAdmin ? "admin" : "config";
  s.last_error = r.last_error;
  queue::QueueStats q = queue_->Stats();
  s.pending_points = q.pending_points;
  backfill::State state = backfill::State::kComplete;
  if (p.cancelled) {
    state = backfill::State::kCancelled;
  } else if (p.done_until_ns < p.to_ns) {
    state = backfill::State::kReading;
  } else if (q.pending_points > 0) {
    state = backfill::State::kDraining;
  }
  s.state = std::string(backfill::StateName(state));
  deps_.metrics.SetState(state);
  deps_.metrics.SetPending(q.pending_points, q.bytes);
  return s;
}

}  // namespace edgerepl::app
