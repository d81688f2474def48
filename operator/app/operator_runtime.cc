// spdlog (fmt) before cpprest: cpprest's U() macro breaks fmt's templates.
#include <spdlog/spdlog.h>

#include "operator/app/operator_runtime.h"

#include <unistd.h>

#include <thread>

#include "common/http/client_cpprest.h"
#include "operator/app/metrics.h"
#include "operator/controllers/agent_poller.h"
#include "operator/controllers/event_recorder.h"
#include "operator/controllers/http_agent_client.h"
#include "operator/controllers/namespace_reconciler.h"
#include "operator/controllers/remote_prober.h"
#include "operator/kube/leader_election.h"
#include "operator/kube/workqueue.h"
#include "operator/kube_cluster/kube_cluster.h"
#include "operator/model/resources.h"

namespace edgerepl::op {
namespace {

std::string DefaultIdentity() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "_" + std::to_string(getpid());
}

ReconcilerOptions MakeReconcilerOptions(const Flags& f, RemoteProber* prober) {
  ReconcilerOptions o;
  o.prober = f.probe_remotes ? prober : nullptr;
  o.nudge_agent_pods = f.nudge_agent_pods;
  o.status_interval = f.status_interval;
  o.status_qps = f.status_qps;
  o.render = AgentRenderSettings(f);
  return o;
}

// Sleeps up to `d`, waking early when `stop` turns true.
void SleepUnless(const std::atomic<bool>& stop, std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (!stop.load()) {
    auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
}

std::string Key(const std::string& ns) {
  return ns + "/" + kAgentConfigSecretName;
}

}  // namespace

RenderSettings AgentRenderSettings(const Flags& f) {
  RenderSettings r;
  r.base.listen = f.agent_listen;
  r.base.admin_listen = f.agent_admin_listen;
  r.base.local.url = f.agent_local_url;
  r.base.local.token_file = f.agent_local_token_file;
  r.base.data_dir = f.agent_data_dir;
  r.base.max_body_memory_bytes = f.agent_max_body_memory_bytes;
  (void)ApplyAgentSettings(f.agent_settings, &r.base);  // checked by ParseFlags
  r.mount_dir = f.agent_config_dir;
  r.pod_labels_file = f.agent_pod_labels_file;
  return r;
}

struct OperatorRuntime::Impl {
  Impl(Flags f, kube::RestClient& client, kube::RestClient& election_client,
       prometheus::Registry& registry, Clock& clock, LeaderFlag& leader)
      : flags(std::move(f)),
        client(client),
        election_client(election_client),
        registry(registry),
        clock(clock),
        leader(leader),
        identity(flags.identity.empty() ? DefaultIdentity() : flags.identity),
        queue("edgerepl", clock, &registry),
        cluster(client, flags.namespaces, random,
                [this](const std::string& ns) {
                  if (this->leader.value.load()) queue.Add(Key(ns));
                }),
        metrics(registry, "edgerepl"),
        agent_client(http::MakeCpprestHttpClient, std::chrono::seconds(5)),
        recorder(cluster, clock, identity),
        prober(http::MakeCpprestHttpClient, clock, ProberOptions{},
               [this](const std::string& ns) { queue.Add(Key(ns)); }),
        reconciler(cluster, cluster, polls, recorder, clock, MakeReconcilerOptions(flags, &prober)),
        poller(cluster, agent_client, polls,
               [this](const std::string& ns) { queue.Add(Key(ns)); }) {}

  void EnqueueAll() {
    for (const std::string& ns : cluster.Namespaces()) queue.Add(Key(ns));
  }

  Flags flags;
  kube::RestClient& client;
  kube::RestClient& election_client;
  prometheus::Registry& registry;
  Clock& clock;
  LeaderFlag& leader;
  std::string identity;
  RealRandom random;
  kube::WorkQueue queue;
  KubeCluster cluster;
  OperatorMetrics metrics;
  HttpAgentClient agent_client;
  AgentPolls polls;
  EventRecorder recorder;
  RemoteProber prober;
  NamespaceReconciler reconciler;
  AgentPoller poller;
};

OperatorRuntime::OperatorRuntime(Flags flags, kube::RestClient& client,
                                 kube::RestClient& election_client, prometheus::Registry& registry,
                                 Clock& clock, LeaderFlag& leader)
    : impl_(std::make_unique<Impl>(std::move(flags), client, election_client, registry, clock,
                                   leader)) {}

OperatorRuntime::~OperatorRuntime() = default;

Status OperatorRuntime::Run(const std::atomic<bool>& stop) {
  Impl& m = *impl_;
  std::atomic<bool> halt{false};  // stop, or leadership lost
  m.cluster.Start();

  std::thread sync_watch([&] {
    while (!halt.load() && !m.cluster.synced()) SleepUnless(halt, std::chrono::milliseconds(100));
    if (m.cluster.synced()) {
      ready_.store(true);
      spdlog::info("caches synced");
      if (m.leader.value.load()) m.EnqueueAll();
    }
  });

  std::thread worker([&] {
    while (std::optional<std::string> key = m.queue.Get()) {
      if (!m.leader.value.load() || !ready_.load()) {
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

  std::thread probe_loop([&] {
    while (!halt.load()) {
      if (m.leader.value.load() && ready_.load() && m.flags.probe_remotes) m.prober.ProbeDue();
      SleepUnless(halt, std::chrono::milliseconds(250));
    }
  });

  std::thread poll_loop([&] {
    while (!halt.load()) {
      if (m.leader.value.load() && ready_.load()) {
        PollSummary s = m.poller.PollOnce();
        m.metrics.SetAgents(s.agents, s.reachable);
      }
      SleepUnless(halt, m.flags.status_interval);
    }
  });

  Status result;
  if (!m.flags.leader_elect) {
    prometheus::BuildGauge()
        .Name("leader_election_master_status")
        .Help("1 while this process holds the leader Lease (always 1 without --leader-elect).")
        .Register(m.registry)
        .Add({{"name", m.flags.leader_election_id}})
        .Set(1);
    m.leader.value.store(true);
    if (ready_.load()) m.EnqueueAll();
    while (!stop.load()) SleepUnless(stop, std::chrono::milliseconds(200));
  } else {
    kube::LeaderElectionConfig lc;
    lc.lease_namespace = m.flags.leader_election_namespace.empty()
                             ? m.client.config().namespace_
                             : m.flags.leader_election_namespace;
    lc.lease_name = m.flags.leader_election_id;
    lc.identity = m.identity;
    lc.on_started_leading = [&] {
      spdlog::info("became leader");
      m.leader.value.store(true);
      // Everything is due once on taking over: the old leader may have stopped mid-way.
      if (ready_.load()) m.EnqueueAll();
    };
    lc.on_stopped_leading = [&] {
      // The REST client's write gate reads this flag: nothing is written after it turns false.
      m.leader.value.store(false);
      spdlog::info("stopped leading");
    };
    spdlog::info("leader election: Lease {}/{} as {}", lc.lease_namespace, lc.lease_name,
                 lc.identity);
    kube::LeaderElector elector(m.election_client, lc, &m.registry);
    std::atomic<bool> elector_done{false};
    Status elector_status;
    std::thread election([&] {
      elector_status = elector.Run();
      elector_done.store(true);
    });
    while (!stop.load() && !elector_done.load()) SleepUnless(stop, std::chrono::milliseconds(100));
    if (!elector_done.load()) {
      elector.Stop();  // releases the Lease
    } else {
      result = elector_status.ok()
                   ? Status::Aborted("leadership lost: Lease not renewed within the deadline")
                   : elector_status;
      spdlog::error("{}", result.ToString());
    }
    election.join();
  }
  halt.store(true);
  m.leader.value.store(false);
  m.queue.ShutDown();
  worker.join();
  poll_loop.join();
  probe_loop.join();
  sync_watch.join();
  m.cluster.Stop();
  return result;
}

}  // namespace edgerepl::op
