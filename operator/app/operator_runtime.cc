// spdlog (fmt) before cpprest: cpprest's U() macro breaks fmt's templates.
#include <spdlog/spdlog.h>

#include "operator/app/operator_runtime.h"

#include <unistd.h>

#include <set>
#include <thread>

#include "common/http/client_cpprest.h"
#include "operator/cluster/api_writer.h"
#include "operator/cluster/lease_elector.h"
#include "operator/cluster/polling_cache.h"
#include "operator/cluster/work_queue.h"
#include "operator/controllers/agent_poller.h"
#include "operator/controllers/event_recorder.h"
#include "operator/controllers/http_agent_client.h"
#include "operator/controllers/namespace_reconciler.h"
#include "operator/model/resources.h"

namespace edgerepl::op {
namespace {

constexpr auto kResync = std::chrono::seconds(1);

std::string DefaultIdentity() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "_" + std::to_string(getpid());
}

ReconcilerOptions MakeReconcilerOptions(const Flags& f) {
  ReconcilerOptions o;
  o.status_interval = f.status_interval;
  o.render.base.listen = f.agent_listen;
  o.render.base.admin_listen = f.agent_admin_listen;
  o.render.base.local.url = f.agent_local_url;
  o.render.base.data_dir = f.agent_data_dir;
  o.render.mount_dir = f.agent_config_dir;
  o.render.pod_labels_file = f.agent_pod_labels_file;
  return o;
}

// Sleeps up to `d`, waking early when `stop` turns true.
void SleepUnless(const std::atomic<bool>& stop, std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (!stop.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(50), std::chrono::duration_cast<std::chrono::milliseconds>(
                                           until - std::chrono::steady_clock::now()) +
                                           std::chrono::milliseconds(1)));
  }
}

}  // namespace

struct OperatorRuntime::Impl {
  Impl(Flags f, ApiClient& api, prometheus::Registry& registry, const Clock& clock)
      : flags(std::move(f)),
        api(api),
        clock(clock),
        identity(flags.identity.empty() ? DefaultIdentity() : flags.identity),
        cache(api, flags.namespaces),
        writer(api),
        queue("edgerepl", &registry),
        metrics(registry, "edgerepl"),
        agent_client(http::MakeCpprestHttpClient, std::chrono::seconds(5)),
        recorder(writer, clock, identity),
        reconciler(cache, writer, polls, recorder, clock, MakeReconcilerOptions(flags)),
        poller(cache, agent_client, polls, [this](const std::string& ns) { queue.Add(Key(ns)); }),
        master_status(prometheus::BuildGauge()
                          .Name("leader_election_master_status")
                          .Help("1 while this process holds the leader Lease (always 1 without "
                                "--leader-elect).")
                          .Register(registry)
                          .Add({{"name", flags.leader_election_id}})) {}

  static std::string Key(const std::string& ns) { return ns + "/" + kAgentConfigSecretName; }

  Flags flags;
  ApiClient& api;
  const Clock& clock;
  std::string identity;
  PollingCache cache;
  ApiWriter writer;
  WorkQueue queue;
  OperatorMetrics metrics;
  HttpAgentClient agent_client;
  AgentPolls polls;
  EventRecorder recorder;
  NamespaceReconciler reconciler;
  AgentPoller poller;
  prometheus::Gauge& master_status;
};

OperatorRuntime::OperatorRuntime(Flags flags, ApiClient& api, prometheus::Registry& registry,
                                 const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(flags), api, registry, clock)) {}

OperatorRuntime::~OperatorRuntime() = default;

Status OperatorRuntime::Run(const std::atomic<bool>& stop) {
  Impl& m = *impl_;
  std::atomic<bool> halt{false};  // stop, or leadership lost
  auto stopping = [&] { return stop.load() || halt.load(); };

  std::thread cache_loop([&] {
    while (!stopping()) {
      std::set<std::string> changed;
      Status s = m.cache.Refresh(&changed);
      if (!s.ok()) spdlog::warn("listing resources: {}", s.ToString());
      if (m.cache.synced() && !ready_.exchange(true)) spdlog::info("caches synced");
      if (leader_.load()) {
        for (const std::string& ns : changed) m.queue.Add(Impl::Key(ns));
      }
      SleepUnless(halt, kResync);
      if (stop.load()) break;
    }
  });

  std::thread worker([&] {
    while (std::optional<std::string> key = m.queue.Get()) {
      if (!leader_.load()) {
        m.queue.Done(*key);
        continue;
      }
      std::string ns = key->substr(0, key->find('/'));
      auto start = std::chrono::steady_clock::now();
      Result<ReconcileStats> r = m.reconciler.Reconcile(ns);
      auto took = std::chrono::steady_clock::now() - start;
      if (r.ok()) {
        m.queue.Forget(*key);
        m.metrics.ObserveReconcile("success", took);
      } else {
        spdlog::warn("reconcile {}: {}", *key, r.status().ToString());
        m.queue.AddRateLimited(*key);
        m.metrics.ObserveReconcile("error", took);
      }
      m.queue.Done(*key);
    }
  });

  std::thread poll_loop([&] {
    while (!stopping()) {
      if (leader_.load() && ready_.load()) {
        PollSummary s = m.poller.PollOnce();
        m.metrics.SetAgents(s.agents, s.reachable);
      }
      SleepUnless(halt, m.flags.status_interval);
      if (stop.load()) break;
    }
  });

  auto become_leader = [&] {
    leader_.store(true);
    m.master_status.Set(1);
    // Everything is due once on taking over: the old leader may have stopped mid-way.
    while (!stopping() && !ready_.load()) SleepUnless(stop, std::chrono::milliseconds(100));
    for (const std::string& ns : m.cache.Namespaces()) m.queue.Add(Impl::Key(ns));
  };

  Status result;
  if (!m.flags.leader_elect) {
    become_leader();
    while (!stop.load()) SleepUnless(stop, std::chrono::milliseconds(200));
  } else {
    LeaseOptions lo;
    lo.ns = m.flags.leader_election_namespace.empty() ? m.api.access().namespace_
                                                      : m.flags.leader_election_namespace;
    lo.name = m.flags.leader_election_id;
    lo.identity = m.identity;
    LeaseElector elector(m.api, m.clock, lo);
    spdlog::info("leader election: Lease {}/{} as {}", lo.ns, lo.name, lo.identity);
    while (!stop.load()) {
      bool holds = elector.TryAcquireOrRenew();
      if (holds && !leader_.load()) {
        spdlog::info("became leader");
        become_leader();
      } else if (!holds && leader_.load()) {
        // Stop writing before anything else happens; the process exits and restarts clean.
        leader_.store(false);
        m.master_status.Set(0);
        result = Status::Aborted("leadership lost: Lease not renewed within the renew deadline");
        spdlog::error("{}", result.message());
        halt.store(true);
        break;
      }
      SleepUnless(stop, lo.retry_period);
    }
    if (result.ok() && leader_.load()) {
      leader_.store(false);
      m.master_status.Set(0);
      m.queue.ShutDown();
      worker.join();
      elector.Release();
      spdlog::info("released the leader Lease");
    }
  }
  halt.store(true);
  leader_.store(false);
  m.queue.ShutDown();
  if (worker.joinable()) worker.join();
  cache_loop.join();
  poll_loop.join();
  return result;
}

}  // namespace edgerepl::op
