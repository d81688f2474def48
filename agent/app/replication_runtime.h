// One running replication: its durable queue, the sender draining it, and their metrics. It is
// the write path's WriteTarget and the admin API's source of status.
//
// A reload that changes the replication keeps the queue (its data stays queued): the sender is
// stopped without acknowledging anything the remote did not confirm, and a new one starts from
// the durable cursor. Only a change of the queue's identity-bearing settings (name, which labels
// the queue metrics, or the data directory and durability) closes and reopens the queue, under an
// exclusive lock that waits for appends in progress.
#pragma once

#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>

#include "agent/admin/backend.h"
#include "agent/app/backfill_runtime.h"
#include "agent/backfill/backfill_metrics.h"
#include "agent/backfill/progress.h"
#include "agent/frontdoor/routing.h"
#include "agent/queue/fs.h"
#include "agent/queue/queue.h"
#include "agent/queue/queue_source.h"
#include "agent/sender/sender.h"
#include "agent/sender/sender_metrics.h"
#include "common/clock.h"
#include "common/config/config.h"
#include "common/http/client.h"

namespace edgerepl::app {

// What a runtime borrows from the app; everything must outlive the runtime.
struct RuntimeDeps {
  prometheus::Registry& registry;
  Clock& clock;
  Random& random;
  queue::FileSystem& fs;
};

// The settings of one replication as the runtime applies them.
struct RuntimeConfig {
  config::ReplicationConfig replication;
  config::RemoteConfig remote;
  std::string queue_dir;  // <dataDir>/queues/<id>
  config::Durability durability = config::Durability::kSync;
  std::chrono::milliseconds sync_interval{100};
  // The local database's client: a backfill reads history through it.
  std::shared_ptr<http::HttpClient> local;
  std::string local_token;  // local.token: what the backfill's queries authenticate with
  bool operator==(const RuntimeConfig&) const = default;
};

class ReplicationRuntime {
 public:
  // Opens (or recovers) the queue and starts the sender, which drains what is already queued at
  // once. `client` is the remote's HTTP client, shared by the replications of that remote.
  static Result<std::shared_ptr<ReplicationRuntime>> Open(RuntimeConfig config,
                                                          std::shared_ptr<http::HttpClient> client,
                                                          RuntimeDeps deps);
  ~ReplicationRuntime();

  // Applies changed settings without losing queued data (see the file comment).
  Status Reconfigure(RuntimeConfig config, std::shared_ptr<http::HttpClient> client);
  // Stops the sender and closes the queue (its cursor saved); later appends get kAborted.
  void Close();

  RuntimeConfig runtime_config() const;
  admin::ReplicationStatus Snapshot() const;
  void SkipHead();
  void RetryNow();
  // Admin: start a backfill (replacing one that runs), or stop reading the current one.
  Status StartBackfill(const admin::BackfillRequest& request);
  Status CancelBackfill();

  // The write path's calls (see frontdoor::WriteTarget).
  bool HasRoomFor(uint64_t bytes) const;
  Status Append(std::string_view payload, uint32_t points);
  void CountDropped(uint64_t points, uint64_t bytes, std::string_view reason);
  void CountDelete(std::string_view result);

 private:
  ReplicationRuntime(RuntimeConfig config, std::shared_ptr<http::HttpClient> client,
                     RuntimeDeps deps);
  Status OpenQueue();  // REQUIRES: queue_mu_ held exclusively
  void StartSender();  // REQUIRES: queue_mu_ held exclusively, queue_ open
  void StopSender();   // REQUIRES: queue_mu_ held exclusively
  // Drops the unread records older than maxAgeSeconds; whether there were any.
  // REQUIRES: queue_mu_ held, queue_ open.
  bool ExpiredSome() const;
  // The backfill (backfill_runtime.h): the job the stored progress and the config call for, or
  // `job` when given. REQUIRES: queue_mu_ held exclusively, queue_ open.
  Status StartBackfillLocked(std::optional<backfill::Progress> job = std::nullopt);
  void StopBackfillLocked();  // REQUIRES: queue_mu_ held exclusively
  std::string BackfillDir() const { return config_.queue_dir + ".backfill"; }

  RuntimeConfig config_;  // GUARDED_BY(queue_mu_)
  std::shared_ptr<http::HttpClient> client_;
  RuntimeDeps deps_;

  // Appends hold it shared; reconfigure and close hold it exclusively.
  mutable std::shared_mutex queue_mu_;
  std::unique_ptr<queue::QueueMetrics> queue_metrics_;
  std::unique_ptr<queue::Queue> queue_;  // null once closed
  // The queue as the sender reads it, with one addition: under queueFullPolicy reject the queue
  // itself never refuses an append (the write path checks HasRoomFor first), so a refusal there
  // must count as full too, or the state would say Backoff while clients get 503.
  class Source final : public sender::RecordSource {
   public:
    Source(queue::Queue& queue, const std::atomic<bool>& rejecting)
        : inner_(queue), rejecting_(rejecting) {}
    Result<std::vector<sender::SourceRecord>> ReadNext(size_t max_bytes) override {
      return inner_.ReadNext(max_bytes);
    }
    Status Ack(uint64_t position) override {
      Status st = inner_.Ack(position);
      if (on_ack_) on_ack_();
      return st;
    }
    void SetOnAck(std::function<void()> f) { on_ack_ = std::move(f); }
    void ReportDropped(uint64_t points, uint64_t bytes, std::string_view reason) override {
      inner_.ReportDropped(points, bytes, reason);
    }
    bool Full() const override { return rejecting_.load() || inner_.Full(); }
    Status Expire(uint64_t position, uint64_t points, uint64_t bytes) override {
      return inner_.Expire(position, points, bytes);
    }
    void ExpireUnread() override { inner_.ExpireUnread(); }

   private:
    queue::QueueSource inner_;
    const std::atomic<bool>& rejecting_;
    std::function<void()> on_ack_;
  };
  std::unique_ptr<Source> source_;
  // Set when the write path found no room (reject pre-check); cleared by the next append.
  mutable std::atomic<bool> rejecting_{false};
  std::unique_ptr<sender::SenderMetrics> sender_metrics_;
  std::unique_ptr<sender::Sender> sender_;
  std::unique_ptr<backfill::BackfillMetrics> backfill_metrics_;
  std::unique_ptr<BackfillRuntime> backfill_;  // GUARDED_BY(queue_mu_); null: none running
  // The last job's status once it stopped running (none at all: nullopt).
  std::optional<admin::BackfillStatus> backfill_record_;
  // The live sender's acknowledgements wake the backfill sender (live first: it waits for them).
  std::mutex backfill_notify_mu_;
  BackfillRuntime* backfill_notify_ = nullptr;  // GUARDED_BY(backfill_notify_mu_)
};

// The write path's view of a runtime for one Routing snapshot: the replication's settings as of
// that snapshot (immutable, so a reload never changes them under a request) and the runtime.
class RoutedTarget final : public frontdoor::WriteTarget {
 public:
  RoutedTarget(config::ReplicationConfig replication, std::shared_ptr<ReplicationRuntime> runtime)
      : replication_(std::move(replication)), runtime_(std::move(runtime)) {}
  const config::ReplicationConfig& replication() const override { return replication_; }
  bool HasRoomFor(uint64_t bytes) const override { return runtime_->HasRoomFor(bytes); }
  Status Append(std::string_view payload, uint32_t points) override {
    return runtime_->Append(payload, points);
  }
  void CountDropped(uint64_t points, uint64_t bytes, std::string_view reason) override {
    runtime_->CountDropped(points, bytes, reason);
  }
  void CountDelete(std::string_view result) override { runtime_->CountDelete(result); }

 private:
  const config::ReplicationConfig replication_;
  const std::shared_ptr<ReplicationRuntime> runtime_;
};

}  // namespace edgerepl::app
