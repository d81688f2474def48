// The edgerepl-agent process without main(): it owns the config and its reloads, one
// ReplicationRuntime per selected replication, the write port (front door and proxy) and the
// admin port. Reloads are applied under one lock and published as a new immutable Routing, so a
// write sees either the old or the new config, never a mixture.
#pragma once

#include <prometheus/registry.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/admin/admin_api.h"
#include "agent/admin/agent_metrics.h"
#include "agent/admin/backend.h"
#include "agent/app/intents.h"
#include "agent/app/replication_runtime.h"
#include "agent/config/reload.h"
#include "agent/frontdoor/delete_handler.h"
#include "agent/frontdoor/intent_recovery.h"
#include "agent/frontdoor/routing.h"
#include "agent/frontdoor/write_handler.h"
#include "agent/frontdoor/write_metrics.h"
#include "common/clock.h"
#include "common/config/config.h"
#include "common/httpserver/server.h"

namespace edgerepl::app {

struct AppOptions {
  std::string config_path;
  // How often orphaned queues are swept and the pod labels file re-read.
  std::chrono::seconds maintenance_interval{30};
  // Requests handled at once on the write port (each may wait for the local write and a sync).
  int write_threads = 64;
  // Where /healthz and /readyz answer while the config file does not exist yet (its adminListen
  // is unknown until then): the default adminListen.
  std::string waiting_admin_listen = ":9186";
  // How long a stop waits for the writes in flight (SIGTERM). Within a pod's default 60 s
  // terminationGracePeriodSeconds, with room to close the queues after it.
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(30)};
  // Whether a config without `local` or without any replication may start the agent: a sidecar
  // waiting for the operator's first config (main sets it with --waiting-admin-listen). Otherwise
  // such a file is refused, as it would accept writes and replicate them nowhere.
  bool allow_unconfigured = false;
  // Overrides the file's instanceID (--instance-id, $EDGEREPL_INSTANCE_ID): on Kubernetes the
  // config Secret is shared by a namespace's pods, the instance ID is each pod's own.
  std::string instance_id;
};

// kInvalidArgument naming what is missing when `config` has no `local` section or no
// replication (an empty or comment-only file), unless `allow_unconfigured`.
Status CheckConfigured(const config::Config& config, const std::string& path,
                       bool allow_unconfigured);

class App final : public admin::Backend {
 public:
  // Loads and validates the config (errors name the field path), opens every queue, starts the
  // senders (which drain what is already queued at once), both servers and the reloader.
  // A config file that does not exist yet is waited for (a Kubernetes Secret the operator has not
  // rendered yet): only the admin port runs, on options.waiting_admin_listen, /readyz answers
  // 503, and the reloader starts everything once the file appears (or on SIGHUP).
  static Result<std::unique_ptr<App>> Start(AppOptions options);
  ~App() override;
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Re-reads the config file soon. Async-signal-safe.
  void RequestReload();
  // Stops accepting writes, finishes those in flight, stops the senders without acknowledging
  // anything unconfirmed, closes the queues (cursors saved), stops the admin port. Idempotent.
  // Takes at most about options.shutdown_grace for the writes; a handler still running after it
  // is left behind (see handlers_left_running()).
  void Shutdown();
  // Write-port handlers still running when Shutdown returned. They use this App, so the process
  // must then exit without destroying it (main does).
  int handlers_left_running() const { return handlers_left_running_.load(); }

  int write_port() const;
  int admin_port() const;

  // admin::Backend
  std::vector<admin::ReplicationStatus> Replications() const override;
  std::string ConfigHash() const override;
  std::string AdminToken() const override;
  bool SkipHead(std::string_view id) override;
  bool RetryNow(std::string_view id) override;
  Status StartBackfill(std::string_view id, const admin::BackfillRequest& request) override;
  Status CancelBackfill(std::string_view id) override;
  Status Ready() override;

 private:
  explicit App(AppOptions options);
  Status Init(const config::Config& config);
  // Applies the first config and opens the write port (and the admin port at its configured
  // address). REQUIRES: apply_mu_ held.
  Status StartServing(const config::Config& config);
  // Starts the admin port at the config's address (it may run at the waiting address already).
  Status StartAdmin(const config::Config& config);
  Status StartReloader(const config::Config& current);
  // Waits for a config file that does not exist yet.
  Status WaitForConfig();
  // The reloader's apply callback: the first config starts serving, later ones are applied.
  void OnNewConfig(const config::Config& next);
  // Makes `config` the running config. REQUIRES: apply_mu_ held. Every replication it can start
  // runs even when another fails; the first failure is returned.
  Status Apply(const config::Config& config);
  std::shared_ptr<const frontdoor::Routing> routing() const;
  std::shared_ptr<ReplicationRuntime> Find(std::string_view id) const;
  httpserver::Response HandleWritePort(const httpserver::Request& request);
  // Re-reads the pod labels file; true when the labels changed.
  bool RefreshLabels(const config::Config& config);
  void Maintain();
  void SweepOrphans(const config::Config& config, const std::vector<std::string>& live_ids);

  const AppOptions options_;
  RealRandom random_;
  prometheus::Registry registry_;
  admin::AgentMetrics agent_metrics_;
  frontdoor::WriteMetrics write_metrics_;
  frontdoor::IntentMetrics intent_metrics_;
  frontdoor::WriteHandler write_handler_;
  frontdoor::DeleteHandler delete_handler_;
  admin::AdminApi admin_api_;

  mutable std::mutex apply_mu_;           // serializes Apply (initial, reload, label change)
  std::optional<config::Labels> labels_;  // GUARDED_BY(apply_mu_); nullopt: no podLabelsFile

  struct Remote {
    config::RemoteConfig config;
    std::shared_ptr<http::HttpClient> client;
  };
  std::map<std::string, Remote> remotes_;  // GUARDED_BY(apply_mu_)
  config::LocalConfig local_config_;       // GUARDED_BY(apply_mu_)

  mutable std::mutex state_mu_;
  config::Config config_;    // GUARDED_BY(state_mu_)
  std::string config_hash_;  // GUARDED_BY(state_mu_)
  std::vector<std::shared_ptr<ReplicationRuntime>>
      runtimes_;                                       // config order; GUARDED_BY(state_mu_)
  std::shared_ptr<const frontdoor::Routing> routing_;  // GUARDED_BY(state_mu_)
  std::shared_ptr<http::HttpClient> ping_client_;      // GUARDED_BY(state_mu_)
  Status apply_error_;                                 // GUARDED_BY(state_mu_)

  // Opened by StartServing before the first Apply, at the first config's dataDir.
  std::shared_ptr<JournalIntentLog> intents_;
  // Interrupted writes still being replayed: /readyz says so, and the write port, already
  // listening, holds live requests until the replay is done (replay_mu_/replay_done_).
  std::atomic<uint64_t> replaying_{0};
  std::mutex replay_mu_;
  std::condition_variable replay_done_;
  std::atomic<bool> ready_logged_{false};

  httpserver::ServerPtr write_server_;
  httpserver::ServerPtr admin_server_;
  std::unique_ptr<config::ConfigReloader> reloader_;

  std::mutex maintain_mu_;
  std::condition_variable maintain_cv_;
  bool stopping_ = false;  // GUARDED_BY(maintain_mu_)
  std::thread maintain_thread_;
  std::atomic<bool> shut_down_{false};
  std::atomic<int> handlers_left_running_{0};
  bool serving_ = false;  // GUARDED_BY(apply_mu_); a config was applied and the ports are open
};

}  // namespace edgerepl::app
