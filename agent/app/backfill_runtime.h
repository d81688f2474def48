// One replication's backfill while it runs: its own durable queue (<queue dir>.backfill), the
// runner that fills it from the local database, and a second sender that drains it to the same
// remote as the live one.
//
// Live first: the backfill sender reads its queue only while the live queue has no backlog (less
// than a batch pending, none of it older than kLiveBacklogAge), so history uses the remote's spare
// capacity and never delays live points; and as the queues are separate, history can never push
// live points out of theirs.
#pragma once

#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "agent/admin/backend.h"
#include "agent/backfill/backfill_metrics.h"
#include "agent/backfill/progress.h"
#include "agent/backfill/runner.h"
#include "agent/queue/queue.h"
#include "agent/queue/queue_source.h"
#include "agent/sender/sender.h"
#include "common/config/config.h"
#include "common/http/client.h"

namespace edgerepl::app {

inline constexpr std::chrono::milliseconds kLiveBacklogAge{500};

struct BackfillDeps {
  Clock& clock;
  Random& random;
  queue::FileSystem& fs;
  backfill::BackfillMetrics& metrics;
};

class BackfillRuntime {
 public:
  // Opens the backfill queue in `dir` and starts the sender and, unless the job is finished, the
  // runner. `live` is the replication's live queue, `remote` its remote's client and `local` the
  // local database's; all borrowed, and must outlive this object. `local_token` is local.token.
  static Result<std::unique_ptr<BackfillRuntime>> Open(
      const config::ReplicationConfig& replication, const config::RemoteConfig& remote_config,
      config::Durability durability, std::chrono::milliseconds sync_interval, std::string dir,
      backfill::Progress progress, queue::Queue& live, http::HttpClient& remote,
      http::HttpClient& local, const std::string& local_token, BackfillDeps deps);
  ~BackfillRuntime();  // Stop()

  // Stops the runner and the sender and closes the queue (its cursor and the progress kept).
  void Stop();
  // The live queue just moved its cursor: the backfill sender may have room to send again.
  void LiveAcknowledged();
  admin::BackfillStatus Snapshot() const;

 private:
  class GatedSource;
  class QueueSink;
  BackfillRuntime(std::string name, std::string dir, BackfillDeps deps);

  const std::string name_;
  const std::string dir_;
  BackfillDeps deps_;
  std::unique_ptr<queue::Queue> queue_;
  std::unique_ptr<GatedSource> source_;
  std::unique_ptr<QueueSink> sink_;
  // The backfill sender's own series stay out of the agent's /metrics: edgerepl_remote_* count
  // live traffic, and the backfill has edgerepl_backfill_*.
  prometheus::Registry sender_registry_;
  std::unique_ptr<sender::SenderMetrics> sender_metrics_;
  std::unique_ptr<sender::Sender> sender_;
  std::unique_ptr<backfill::Runner> runner_;
  bool stopped_ = false;
};

}  // namespace edgerepl::app
