#include "agent/app/app.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "agent/admin/influx_filter.h"
#include "agent/admin/status_json.h"
#include "agent/frontdoor/local_info.h"
#include "agent/frontdoor/proxy.h"
#include "agent/queue/orphans.h"
#include "agent/queue/queue.h"
#include "agent/sender/from_config.h"
#include "common/config/parse.h"
#include "common/config/render.h"
#include "common/http/client_beast.h"
#include "common/log/log.h"

namespace edgerepl::app {
namespace {

// Taken during static initialization, so the "ready" log line counts from (almost) the start of
// the process: only the dynamic loader's work comes before it.
const std::chrono::steady_clock::time_point kProcessStart = std::chrono::steady_clock::now();

// /readyz must answer quickly even when the local InfluxDB hangs.
constexpr std::chrono::milliseconds kPingTimeout{2000};

double UnixSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string QueuesDir(const config::Config& config) {
  return config.data_dir + "/queues";
}

// Remotes and the local InfluxDB alike: Beast for http:// (requests run on the caller's thread,
// no task hand-off, no body copy into a library request type), cpprestsdk for https:// (TLS with
// system roots, a CA file, client certificates).
Result<std::shared_ptr<http::HttpClient>> MakeClient(const http::HttpClientOptions& options) {
  auto client = http::MakeHttpClient(options);
  if (!client.ok()) return client.status();
  return std::shared_ptr<http::HttpClient>(std::move(client).value());
}

}  // namespace

Status CheckConfigured(const config::Config& config, const std::string& path,
                       bool allow_unconfigured) {
  if (allow_unconfigured) return Status::Ok();
  std::string missing;
  if (!config.local_given.given) missing = "no `local` section";
  if (config.replications.empty()) {
    missing += std::string(missing.empty() ? "" : " and ") + "no replication";
  }
  if (missing.empty()) return Status::Ok();
  return Status::InvalidArgument(
      "config file " + path + " has " + missing +
      ": refusing to start, as the agent would accept writes and replicate them nowhere. Give "
      "`local` and at least one replication, or pass --waiting-admin-listen when this is a "
      "sidecar waiting for its config from the operator");
}

App::App(AppOptions options)
    : options_(std::move(options)),
      agent_metrics_(registry_, EDGEREPL_VERSION),
      write_metrics_(registry_),
      intent_metrics_(registry_),
      write_handler_([this] { return routing(); }, RealClock::Instance(), write_metrics_),
      delete_handler_([this] { return routing(); }, RealClock::Instance()),
      admin_api_(*this, registry_, EDGEREPL_VERSION) {}

Result<std::unique_ptr<App>> App::Start(AppOptions options) {
  spdlog::info("edgerepl-agent {} starting (pid {}), config {}", EDGEREPL_VERSION, ::getpid(),
               options.config_path);
  config::ParseOptions parse;
  parse.instance_id_override = options.instance_id;
  auto loaded = config::LoadConfigFile(options.config_path, parse);
  bool missing = !loaded.ok() && loaded.status().code() == StatusCode::kNotFound;
  if (!loaded.ok() && !missing) return loaded.status();
  if (loaded.ok()) {
    EDGEREPL_RETURN_IF_ERROR(
        CheckConfigured(*loaded, options.config_path, options.allow_unconfigured));
  }
  if (loaded.ok()) log::GlobalSecrets().AddAll(config::Secrets(*loaded));
  std::unique_ptr<App> app(new App(std::move(options)));
  Status st = missing ? app->WaitForConfig() : app->Init(*loaded);
  if (!st.ok()) {
    app->Shutdown();
    return st;
  }
  return app;
}

Status App::Init(const config::Config& config) {
  {
    std::lock_guard<std::mutex> lock(apply_mu_);
    EDGEREPL_RETURN_IF_ERROR(StartServing(config));
  }
  return StartReloader(config);
}

Status App::WaitForConfig() {
  // Logged once: the reloader stays quiet until the directory changes.
  spdlog::warn("config file {} does not exist yet; waiting for it (not ready until it is loaded)",
               options_.config_path);
  httpserver::ServerOptions admin_options;
  admin_options.max_body_bytes = 1 << 20;
  admin_options.worker_threads = 4;
  auto admin_server = httpserver::Server::Start(
      options_.waiting_admin_listen,
      [this](const httpserver::Request& r) { return admin_api_.Handle(r); }, admin_options);
  if (!admin_server.ok()) {
    return Status(admin_server.status().code(), "adminListen: " + admin_server.status().message());
  }
  admin_server_ = std::move(admin_server).value();
  // Any real file differs from the defaults' hash, so its first valid version is applied.
  return StartReloader(config::Config{});
}

void App::OnNewConfig(const config::Config& next) {
  std::lock_guard<std::mutex> lock(apply_mu_);
  if (!serving_) {
    log::GlobalSecrets().AddAll(config::Secrets(next));
    if (Status st = CheckConfigured(next, options_.config_path, options_.allow_unconfigured);
        !st.ok()) {
      spdlog::error("{}; still waiting", st.message());
      return;
    }
    spdlog::info("config file {} appeared; starting", options_.config_path);
    Status st = StartServing(next);
    if (!st.ok()) {
      spdlog::error("cannot start with {}: {}", options_.config_path, st.ToString());
      std::lock_guard<std::mutex> state_lock(state_mu_);
      apply_error_ = st;
    }
    return;
  }
  RefreshLabels(next);
  Status st = Apply(next);
  if (!st.ok()) spdlog::error("config reload applied with errors: {}", st.ToString());
}

Status App::StartServing(const config::Config& config) {
  RefreshLabels(config);
  std::vector<frontdoor::PendingWrite> pending;
  auto intents =
      JournalIntentLog::Open(config, queue::PosixFileSystem(), intent_metrics_, &pending);
  if (!intents.ok()) return intents.status();
  intents_ = std::move(intents).value();
  replaying_ = pending.size();
  EDGEREPL_RETURN_IF_ERROR(Apply(config));
  agent_metrics_.ReloadOutcome(true, UnixSeconds());

  // The write port listens first and the admin port after it, so a client that sees the admin
  // port up (or /readyz answer 200) finds the write port open too. While interrupted writes are
  // replayed the write port holds every live request until they are done: no live write may
  // reach the local database or a queue before an older interrupted one (a replay must never
  // overwrite a newer value of the same point), and a client waits instead of being refused.
  httpserver::ServerOptions write_options;
  write_options.max_body_bytes = config.max_body_bytes;
  write_options.worker_threads = options_.write_threads;
  write_options.on_too_large = [this](const httpserver::Request& r) {
    write_handler_.CountRefused(r, 413);
  };
  write_options.error_response = frontdoor::ErrorForPath;
  write_options.body_memory_bytes = config.max_body_memory_bytes;
  write_options.on_body_memory = [this](int64_t delta) { write_metrics_.BodyMemory(delta); };
  write_options.on_body_memory_refused = [this](const httpserver::Request& r) {
    write_metrics_.BodyMemoryRefused();
    write_handler_.CountRefused(r, 503);
  };
  auto write_server = httpserver::Server::Start(
      config.listen, [this](const httpserver::Request& r) { return HandleWritePort(r); },
      write_options);
  if (!write_server.ok()) {
    return Status(write_server.status().code(), "listen: " + write_server.status().message());
  }
  write_server_ = std::move(write_server).value();

  EDGEREPL_RETURN_IF_ERROR(StartAdmin(config));
  if (!pending.empty()) {
    spdlog::info("replaying {} write(s) interrupted by the last stop ({})", pending.size(),
                 intents_->dir());
    frontdoor::ReplayOptions replay;
    replay.stopping = [this] { return shut_down_.load(); };
    frontdoor::ReplayReport r = frontdoor::ReplayIntents(
        [this](http::HttpRequest local) {
          if (frontdoor::DeleteHandler::IsDeleteIntent(local)) {
            return delete_handler_.Replay(std::move(local));
          }
          return write_handler_.Replay(std::move(local));
        },
        std::move(pending), *intents_, replay);
    intent_metrics_.Observe(r);
    spdlog::info(
        "replayed interrupted writes in {:.3f} s: {} queued ({} points), {} refused by the local "
        "InfluxDB ({} points), {} unreadable, {} local retries",
        r.seconds, r.queued, r.queued_points, r.refused, r.refused_points, r.unreadable,
        r.local_retries);
    if (r.left > 0) return Status::Aborted("stopped while replaying interrupted writes");
  }
  {
    std::lock_guard<std::mutex> lock(replay_mu_);
    replaying_ = 0;
  }
  replay_done_.notify_all();

  maintain_thread_ = std::thread([this] { Maintain(); });
  serving_ = true;
  spdlog::info("edgerepl-agent {} writes on port {}, admin on port {}, {} replication(s)",
               EDGEREPL_VERSION, write_server_->port(), admin_server_->port(),
               Replications().size());
  return Status::Ok();
}

Status App::StartAdmin(const config::Config& config) {
  // While the file was missing the admin port ran at the default address; the config's own
  // address wins from the first load on.
  if (admin_server_ && config.admin_listen != options_.waiting_admin_listen) {
    admin_server_->Stop(std::chrono::seconds(2));
    admin_server_.reset();
  }
  if (admin_server_) return Status::Ok();
  httpserver::ServerOptions admin_options;
  admin_options.max_body_bytes = 1 << 20;
  admin_options.worker_threads = 4;
  auto admin_server = httpserver::Server::Start(
      config.admin_listen, [this](const httpserver::Request& r) { return admin_api_.Handle(r); },
      admin_options);
  if (!admin_server.ok()) {
    return Status(admin_server.status().code(), "adminListen: " + admin_server.status().message());
  }
  admin_server_ = std::move(admin_server).value();
  return Status::Ok();
}

Status App::StartReloader(const config::Config& current) {
  config::ReloadOptions reload;
  reload.path = options_.config_path;
  reload.parse.instance_id_override = options_.instance_id;
  reloader_ = std::make_unique<config::ConfigReloader>(
      reload, current, [this](const config::Config& next) { OnNewConfig(next); },
      [this](const Status& outcome) { agent_metrics_.ReloadOutcome(outcome.ok(), UnixSeconds()); });
  return reloader_->Start();
}

App::~App() {
  Shutdown();
}

bool App::RefreshLabels(const config::Config& config) {
  if (config.pod_labels_file.empty()) {
    bool changed = labels_.has_value();
    labels_.reset();
    return changed;
  }
  auto labels = config::ReadLabelsFile(config.pod_labels_file);
  if (!labels.ok()) {
    // Keep the labels we had: a file missing for a moment must not orphan replications.
    spdlog::warn("podLabelsFile {}: {}", config.pod_labels_file, labels.status().ToString());
    if (labels_) return false;
    labels_ = config::Labels{};
    return true;
  }
  if (labels_ && *labels_ == *labels) return false;
  labels_ = std::move(labels).value();
  return true;
}

Status App::Apply(const config::Config& config) {
  Status first_error;
  auto note = [&first_error](const Status& st) {
    if (!st.ok()) {
      spdlog::error("{}", st.message());
      if (first_error.ok()) first_error = st;
    }
  };

  // Clients: one per remote, rebuilt only when the remote's settings changed.
  std::map<std::string, Remote> remotes;
  for (const auto& rc : config.remotes) {
    auto old = remotes_.find(rc.name);
    if (old != remotes_.end() && old->second.config == rc) {
      remotes[rc.name] = old->second;
      continue;
    }
    auto client = MakeClient(sender::HttpOptionsFromConfig(rc));
    if (!client.ok()) {
      note(Status(client.status().code(),
                  "remote \"" + rc.name + "\": " + client.status().message()));
      continue;
    }
    remotes[rc.name] = Remote{rc, std::move(client).value()};
  }

  std::shared_ptr<http::HttpClient> local;
  std::shared_ptr<http::HttpClient> ping;
  std::shared_ptr<frontdoor::LocalInfo> local_info;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (routing_ && local_config_ == config.local) {
      local = routing_->local;
      ping = ping_client_;
      local_info = routing_->local_info;
    }
  }
  if (!local) {
    http::HttpClientOptions o;
    o.base_url = config.local.url;
    o.timeout = config.local.timeout;
    auto client = MakeClient(o);
    if (!client.ok()) return Status(client.status().code(), "local: " + client.status().message());
    local = std::move(client).value();
    o.timeout = std::min<std::chrono::milliseconds>(config.local.timeout, kPingTimeout);
    auto ping_client = MakeClient(o);
    if (!ping_client.ok()) return ping_client.status();
    ping = std::move(ping_client).value();
  }

  // Runtimes: kept, reconfigured, opened or closed (closed ones leave an orphan queue behind).
  std::map<std::string, std::shared_ptr<ReplicationRuntime>> old;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    for (const auto& rt : runtimes_) old[rt->runtime_config().replication.id] = rt;
  }
  const config::Labels* labels = labels_ ? &*labels_ : nullptr;
  std::vector<std::shared_ptr<ReplicationRuntime>> runtimes;
  std::vector<std::string> live_ids;
  RuntimeDeps deps{registry_, RealClock::Instance(), random_, queue::PosixFileSystem()};
  for (const config::ReplicationConfig* rc : config::SelectReplications(config, labels)) {
    auto remote = remotes.find(rc->remote);
    if (remote == remotes.end()) continue;  // its client failed above; already reported
    RuntimeConfig wanted;
    wanted.replication = *rc;
    wanted.remote = remote->second.config;
    wanted.queue_dir = QueuesDir(config) + "/" + rc->id;
    wanted.durability = config.durability;
    wanted.sync_interval = config.sync_interval;
    wanted.local = local;
    wanted.local_token = config.local.token;
    live_ids.push_back(rc->id);
    auto it = old.find(rc->id);
    if (it != old.end()) {
      std::shared_ptr<ReplicationRuntime> rt = it->second;
      old.erase(it);
      if (rt->runtime_config() != wanted) {
        spdlog::info("replication {} ({}): settings changed, restarting its sender", rc->name,
                     rc->id);
        note(rt->Reconfigure(std::move(wanted), remote->second.client));
      }
      runtimes.push_back(std::move(rt));
      continue;
    }
    const auto open_start = std::chrono::steady_clock::now();
    auto opened = ReplicationRuntime::Open(std::move(wanted), remote->second.client, deps);
    if (!opened.ok()) {
      note(opened.status());
      continue;
    }
    // The time includes the queue's recovery scan, a large part of a start after a crash.
    const admin::ReplicationStatus opened_status = (*opened)->Snapshot();
    spdlog::info(
        "replication {} ({}): started in {} ms with {} bytes ({} points) queued, {} -> "
        "remote {}",
        rc->name, rc->id,
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                              open_start)
            .count(),
        opened_status.current_queue_size_bytes, opened_status.pending_points, rc->local_bucket,
        rc->remote);
    runtimes.push_back(std::move(opened).value());
  }
  for (auto& [id, rt] : old) {
    spdlog::warn(
        "replication {} left the config: its queue is kept for orphanGracePeriod, then deleted",
        id);
    rt->Close();
  }

  auto routing = std::make_shared<frontdoor::Routing>();
  routing->local = local;
  routing->max_body_bytes = config.max_body_bytes;
  routing->queue_full_policy = config.queue_full_policy;
  routing->instance_id = config.instance_id;
  // What was learned of the local (default retention policies, v2 support) holds until `local`
  // changes.
  routing->local_info = local_info
                            ? local_info
                            : std::make_shared<frontdoor::LocalInfo>(local, RealClock::Instance());
  routing->intents = intents_;
  for (const auto& rt : runtimes) {
    routing->targets.push_back(
        std::make_shared<RoutedTarget>(rt->runtime_config().replication, rt));
  }

  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (write_server_ &&
        (config.listen != config_.listen || config.admin_listen != config_.admin_listen)) {
      spdlog::warn("listen and adminListen changes take effect at the next restart");
    }
    config_ = config;
    config_hash_ = config::ConfigHash(config);
    runtimes_ = std::move(runtimes);
    routing_ = std::move(routing);
    ping_client_ = std::move(ping);
    apply_error_ = first_error;
  }
  remotes_ = std::move(remotes);
  local_config_ = config.local;
  if (write_server_) {
    write_server_->SetMaxBodyBytes(config.max_body_bytes);
    write_server_->SetBodyMemoryBytes(config.max_body_memory_bytes);
  }
  SweepOrphans(config, live_ids);
  return first_error;
}

void App::SweepOrphans(const config::Config& config, const std::vector<std::string>& live_ids) {
  std::set<std::string> live(live_ids.begin(), live_ids.end());
  // A replication's backfill queue (<id>.backfill) lives and goes with it.
  for (const std::string& id : live_ids) live.insert(id + ".backfill");
  auto grace = std::chrono::duration_cast<std::chrono::seconds>(config.orphan_grace_period);
  Status st = queue::SweepOrphans(QueuesDir(config), live, grace, queue::PosixFileSystem(),
                                  RealClock::Instance());
  if (!st.ok()) spdlog::warn("sweeping orphaned queues: {}", st.ToString());
}

void App::Maintain() {
  std::unique_lock<std::mutex> lock(maintain_mu_);
  while (
      !maintain_cv_.wait_for(lock, options_.maintenance_interval, [this] { return stopping_; })) {
    lock.unlock();
    {
      std::lock_guard<std::mutex> apply_lock(apply_mu_);
      config::Config current;
      std::vector<std::string> live;
      {
        std::lock_guard<std::mutex> state_lock(state_mu_);
        current = config_;
        for (const auto& rt : runtimes_) live.push_back(rt->runtime_config().replication.id);
      }
      if (RefreshLabels(current)) {
        spdlog::info("pod labels changed; re-selecting replications");
        Status st = Apply(current);
        if (!st.ok()) spdlog::error("applying new pod labels: {}", st.ToString());
      } else {
        SweepOrphans(current, live);
      }
    }
    lock.lock();
  }
}

std::shared_ptr<const frontdoor::Routing> App::routing() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return routing_;
}

httpserver::Response App::HandleWritePort(const httpserver::Request& request) {
  if (replaying_.load() > 0) {
    std::unique_lock<std::mutex> lock(replay_mu_);
    replay_done_.wait(lock, [this] { return replaying_.load() == 0 || shut_down_.load(); });
    if (replaying_.load() > 0) {
      return frontdoor::ErrorForPath(request.path, 503, "unavailable", "the agent is stopping");
    }
  }
  if (request.path == "/api/v2/replications" && request.method == "GET") {
    httpserver::Response r;
    r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    r.body = admin::InfluxReplicationsJson(
        admin::FilterInfluxReplications(Replications(), request.query));
    return r;
  }
  if (frontdoor::IsWrite(request)) return write_handler_.Handle(request);
  if (auto r = delete_handler_.Handle(request)) return std::move(*r);
  return frontdoor::Proxy(*routing()->local, request);
}

void App::RequestReload() {
  if (reloader_) reloader_->RequestReload();
}

void App::Shutdown() {
  if (shut_down_.exchange(true)) return;
  {
    // Wakes live writes held while a replay was still running: they are answered 503.
    std::lock_guard<std::mutex> lock(replay_mu_);
  }
  replay_done_.notify_all();
  spdlog::info("shutting down: finishing writes in flight");
  // The reloader first: once it is stopped no first config can open the ports behind our back.
  if (reloader_) reloader_->Stop();
  if (write_server_) {
    int left = write_server_->Stop(options_.shutdown_grace);
    handlers_left_running_ = left;
    if (left > 0) {
      spdlog::warn(
          "{} write(s) still being handled after the {} ms grace period; not waiting for "
          "them (their clients get no answer and retry)",
          left, options_.shutdown_grace.count());
    }
  }
  {
    std::lock_guard<std::mutex> lock(maintain_mu_);
    stopping_ = true;
  }
  maintain_cv_.notify_all();
  if (maintain_thread_.joinable()) maintain_thread_.join();
  std::vector<std::shared_ptr<ReplicationRuntime>> runtimes;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    runtimes = runtimes_;
  }
  for (auto& rt : runtimes) rt->Close();
  // After the write port: a clean stop resolved every write and leaves no journal file.
  if (intents_) intents_->Close();
  if (admin_server_) admin_server_->Stop(std::chrono::seconds(2));
  spdlog::info("stopped; queues closed and cursors saved");
}

// Under apply_mu_: the reloader thread opens the ports when a missing config file appears.
int App::write_port() const {
  std::lock_guard<std::mutex> lock(apply_mu_);
  return write_server_ ? write_server_->port() : 0;
}

int App::admin_port() const {
  std::lock_guard<std::mutex> lock(apply_mu_);
  return admin_server_ ? admin_server_->port() : 0;
}

std::vector<admin::ReplicationStatus> App::Replications() const {
  std::vector<std::shared_ptr<ReplicationRuntime>> runtimes;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    runtimes = runtimes_;
  }
  std::vector<admin::ReplicationStatus> out;
  out.reserve(runtimes.size());
  for (const auto& rt : runtimes) out.push_back(rt->Snapshot());
  return out;
}

std::string App::ConfigHash() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return config_hash_;
}

std::string App::AdminToken() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return config_.admin_token;
}

std::shared_ptr<ReplicationRuntime> App::Find(std::string_view id) const {
  std::lock_guard<std::mutex> lock(state_mu_);
  for (const auto& rt : runtimes_) {
    if (rt->runtime_config().replication.id == id) return rt;
  }
  return nullptr;
}

bool App::SkipHead(std::string_view id) {
  auto rt = Find(id);
  if (!rt) return false;
  spdlog::warn("replication {}: skip-head requested through the admin API", id);
  rt->SkipHead();
  return true;
}

bool App::RetryNow(std::string_view id) {
  auto rt = Find(id);
  if (!rt) return false;
  rt->RetryNow();
  return true;
}

Status App::StartBackfill(std::string_view id, const admin::BackfillRequest& request) {
  auto rt = Find(id);
  if (!rt) return Status::NotFound("no replication with id \"" + std::string(id) + "\"");
  spdlog::info("replication {}: backfill requested through the admin API", id);
  return rt->StartBackfill(request);
}

Status App::CancelBackfill(std::string_view id) {
  auto rt = Find(id);
  if (!rt) return Status::NotFound("no replication with id \"" + std::string(id) + "\"");
  spdlog::info("replication {}: backfill cancelled through the admin API", id);
  return rt->CancelBackfill();
}

Status App::Ready() {
  std::shared_ptr<http::HttpClient> ping;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (!apply_error_.ok()) return apply_error_;
    ping = ping_client_;
  }
  if (uint64_t n = replaying_.load(); n > 0) {
    return Status::Unavailable(
        "replaying " + std::to_string(n) +
        " write(s) interrupted by the last stop; the write port opens after");
  }
  if (!ping) return Status::Unavailable("config not loaded");
  http::HttpRequest req;
  req.method = "GET";
  req.target = "/ping";
  auto answer = ping->Send(req);
  if (!answer.ok())
    return Status::Unavailable("local InfluxDB unreachable: " + answer.status().message());
  if (answer->status < 200 || answer->status > 299) {
    return Status::Unavailable("local InfluxDB /ping answered " + std::to_string(answer->status));
  }
  if (!ready_logged_.exchange(true)) {
    // The time to ready after a (re)start, for docs/reliability.md's bound.
    spdlog::info("ready {} ms after the process started",
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - kProcessStart)
                     .count());
  }
  return Status::Ok();
}

}  // namespace edgerepl::app
