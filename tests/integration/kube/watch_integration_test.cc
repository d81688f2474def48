// Informers, the watcher and leader election against a real kube-apiserver: events in order, watch
// resume after the server ends a watch, relist after a real 410, the API server restarted under a
// running watch, and two electors competing for one Lease.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "operator/kube/informer.h"
#include "operator/kube/leader_election.h"
#include "tests/integration/kube/kube_test_env.h"

namespace edgerepl::kube::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

bool WaitFor(const std::function<bool()>& pred, milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return pred();
}

Object MakeObject(const ResourceType& type, const std::string& ns, const std::string& name,
                  int size) {
  Object o;
  o.set_type(type);
  o.set_name(name);
  o.set_namespace(ns);
  o.json()["spec"] = web::json::value::object();
  o.json()["spec"]["size"] = web::json::value::number(size);
  return o;
}

web::json::value SizePatch(int size) {
  return web::json::value::parse(R"({"spec":{"size":)" + std::to_string(size) + "}}");
}

// Records what an informer's handlers saw.
struct Recorder {
  std::mutex mu;
  std::vector<std::string> events;  // "added ns/name size", ...
  std::vector<Status> errors;

  EventHandler Handler() {
    EventHandler h;
    auto line = [](const char* what, const ObjectPtr& o) {
      return std::string(what) + " " + o->name() + " " +
             std::to_string(Object::IntField(o->spec(), "size").value_or(-1));
    };
    h.on_add = [this, line](const ObjectPtr& o) { Push(line("added", o)); };
    h.on_update = [this, line](const ObjectPtr&, const ObjectPtr& o) { Push(line("updated", o)); };
    h.on_delete = [this, line](const ObjectPtr& o) { Push(line("deleted", o)); };
    return h;
  }
  void Push(std::string e) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(std::move(e));
  }
  bool Has(const std::string& e) {
    std::lock_guard<std::mutex> lock(mu);
    return std::find(events.begin(), events.end(), e) != events.end();
  }
  size_t Count() {
    std::lock_guard<std::mutex> lock(mu);
    return events.size();
  }
  bool SawGone() {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& s : errors) {
      if (IsGone(s)) return true;
    }
    return false;
  }
};

WatcherOptions Options(const ResourceType& type, const std::string& ns, int timeout_seconds) {
  WatcherOptions o;
  o.type = type;
  o.namespace_ = ns;
  o.timeout_seconds = timeout_seconds;
  o.page_size = 2;  // several pages even for a handful of objects
  o.backoff_min = milliseconds(200);
  o.backoff_max = seconds(2);
  return o;
}

TEST(KubeWatch, InformerDeliversChangesAndResumesAfterTheServerEndsAWatch) {
  SKIP_WITHOUT_APISERVER();
  auto client = KubeEnvironment::NewClient();
  const std::string ns = KubeEnvironment::NewNamespace("informer");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        client
            ->Create(WidgetsType(), ns, MakeObject(WidgetsType(), ns, "pre" + std::to_string(i), i))
            .ok());
  }
  RealRandom random(1);
  Recorder rec;
  // The server ends each watch after 2 s; the watcher must resume from its last version without
  // relisting and without losing what happened in between.
  Informer informer(*client, Options(WidgetsType(), ns, 2), random);
  informer.AddHandler(rec.Handler());
  informer.SetErrorHandler([&](const Status& s) {
    std::lock_guard<std::mutex> lock(rec.mu);
    rec.errors.push_back(s);
  });
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(seconds(30)));
  EXPECT_EQ(informer.store().size(), 5u);
  EXPECT_EQ(rec.Count(), 5u);

  auto t0 = std::chrono::steady_clock::now();
  int step = 0;
  while (std::chrono::steady_clock::now() - t0 < seconds(5)) {
    ASSERT_TRUE(client
                    ->Create(WidgetsType(), ns,
                             MakeObject(WidgetsType(), ns, "live" + std::to_string(step), step))
                    .ok());
    std::this_thread::sleep_for(milliseconds(300));
    ++step;
  }
  ASSERT_TRUE(client->MergePatch(WidgetsType(), ns, "pre0", SizePatch(42)).ok());
  ASSERT_TRUE(client->Delete(WidgetsType(), ns, "pre1").ok());

  ASSERT_TRUE(WaitFor([&] { return rec.Has("updated pre0 42") && rec.Has("deleted pre1 1"); },
                      seconds(20)));
  for (int i = 0; i < step; ++i) {
    EXPECT_TRUE(rec.Has("added live" + std::to_string(i) + " " + std::to_string(i))) << i;
  }
  EXPECT_EQ(informer.store().size(), static_cast<size_t>(5 + step - 1));
  ObjectPtr pre0 = informer.store().Get(ns, "pre0");
  ASSERT_NE(pre0, nullptr);
  EXPECT_EQ(Object::IntField(pre0->spec(), "size"), 42);
  EXPECT_EQ(informer.store().Get(ns, "pre1"), nullptr);
  EXPECT_GE(informer.watcher().watches(), 3);  // resumed at least twice
  EXPECT_EQ(informer.watcher().lists(), 1);    // and never needed to relist
  informer.Stop();
}

// The API server the watcher talks to goes down; meanwhile objects change through a second API
// server on the same etcd; then the first comes back. With `compact`, etcd's history is compacted
// past the watcher's version first, so resuming gets a real 410 and the watcher must relist and
// deliver exactly the difference.
void RunOutage(const ResourceType& type, bool compact) {
  auto* server = KubeEnvironment::server();
  auto client = KubeEnvironment::NewClient();
  const std::string ns = KubeEnvironment::NewNamespace(compact ? "gone" : "restart");
  ASSERT_TRUE(client->Create(type, ns, MakeObject(type, ns, "a", 1)).ok());
  ASSERT_TRUE(client->Create(type, ns, MakeObject(type, ns, "b", 2)).ok());

  RealRandom random(2);
  Recorder rec;
  Informer informer(*client, Options(type, ns, 290), random);
  informer.AddHandler(rec.Handler());
  informer.SetErrorHandler([&](const Status& s) {
    std::lock_guard<std::mutex> lock(rec.mu);
    rec.errors.push_back(s);
  });
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(seconds(30)));
  ASSERT_EQ(informer.store().size(), 2u);
  ASSERT_TRUE(WaitFor([&] { return informer.watcher().watches() >= 1; }, seconds(10)));

  ASSERT_TRUE(server->StartPeer().ok());
  auto peer = KubeEnvironment::NewClient({}, server->peer_kubeconfig());
  server->StopApiServer();
  ASSERT_TRUE(peer->MergePatch(type, ns, "a", SizePatch(10)).ok());
  ASSERT_TRUE(peer->Delete(type, ns, "b").ok());
  ASSERT_TRUE(peer->Create(type, ns, MakeObject(type, ns, "c", 3)).ok());
  if (compact) {
    ASSERT_TRUE(server->CompactEtcd().ok());
  }
  Status restarted = server->StartApiServer();
  server->StopPeer();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();

  ASSERT_TRUE(WaitFor(
      [&] { return rec.Has("updated a 10") && rec.Has("deleted b 2") && rec.Has("added c 3"); },
      seconds(60)))
      << rec.Count() << " events";
  EXPECT_EQ(informer.store().size(), 2u);
  EXPECT_NE(informer.store().Get(ns, "c"), nullptr);
  EXPECT_EQ(informer.store().Get(ns, "b"), nullptr);
  if (compact) {
    EXPECT_TRUE(rec.SawGone());
    EXPECT_GE(informer.watcher().lists(), 2);
  }
  // And it keeps watching afterwards.
  Result<Object> after = client->MergePatch(type, ns, "c", SizePatch(30));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_TRUE(WaitFor([&] { return rec.Has("updated c 30"); }, seconds(30)));
  informer.Stop();
}

TEST(KubeWatch, ApiServerRestartedUnderARunningWatch) {
  SKIP_WITHOUT_APISERVER();
  RunOutage(WidgetsType(), /*compact=*/false);
}

TEST(KubeWatch, RelistsAfterARealGoneAndDeliversTheDifference) {
  SKIP_WITHOUT_APISERVER();
  if (KubeEnvironment::server()->assets().etcdctl.empty()) {
    GTEST_SKIP() << "no etcdctl (Debian etcd-client)";
  }
  RunOutage(GadgetsType(), /*compact=*/true);
}

struct Candidate {
  std::unique_ptr<RestClient> client;
  std::unique_ptr<LeaderElector> elector;
  std::thread thread;
  std::atomic<int> started{0};
  std::atomic<int> stopped{0};
  Status result;

  Candidate(const std::string& ns, const std::string& id, bool release,
            prometheus::Registry* registry = nullptr) {
    client = KubeEnvironment::NewClient();
    LeaderElectionConfig c;
    c.lease_namespace = ns;
    c.lease_name = "kube-test-lock";
    c.identity = id;
    c.release_on_stop = release;
    c.on_started_leading = [this] { started++; };
    c.on_stopped_leading = [this] { stopped++; };
    elector = std::make_unique<LeaderElector>(*client, c, registry);
    thread = std::thread([this] { result = elector->Run(); });
  }
  ~Candidate() { Join(); }
  void Join() {
    elector->Stop();
    if (thread.joinable()) thread.join();
  }
};

TEST(KubeLeaderElection, TwoCandidatesFailOverWithinTwentySeconds) {
  SKIP_WITHOUT_APISERVER();
  const std::string ns = KubeEnvironment::NewNamespace("lease");
  prometheus::Registry registry;
  auto a = std::make_unique<Candidate>(ns, "a", /*release=*/false, &registry);
  ASSERT_TRUE(WaitFor([&] { return a->elector->IsLeader(); }, seconds(10)));
  auto b = std::make_unique<Candidate>(ns, "b", /*release=*/true);

  // Never two leaders: sample both while b waits and a "crashes".
  std::atomic<bool> both{false}, sampling{true};
  std::thread sampler([&] {
    while (sampling) {
      if (a->elector->IsLeader() && b->elector->IsLeader()) both = true;
      std::this_thread::sleep_for(milliseconds(5));
    }
  });
  std::this_thread::sleep_for(seconds(3));
  EXPECT_FALSE(b->elector->IsLeader());
  EXPECT_EQ(b->elector->observed_holder(), "a");

  // a dies without releasing: b must wait for the lease to expire, and take over inside 20 s.
  auto crashed_at = std::chrono::steady_clock::now();
  a->Join();
  EXPECT_EQ(a->stopped.load(), 1);
  ASSERT_TRUE(WaitFor([&] { return b->elector->IsLeader(); }, seconds(25)));
  double failover =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - crashed_at).count();
  EXPECT_LT(failover, 20.0);
  EXPECT_GT(failover, 5.0);  // not before the crashed leader's lease could have expired
  std::printf("failover after a crash: %.1f s\n", failover);

  // b shuts down cleanly and releases: a newcomer takes over at its next retry, not 15 s later.
  auto c = std::make_unique<Candidate>(ns, "c", /*release=*/true);
  std::this_thread::sleep_for(seconds(1));
  auto released_at = std::chrono::steady_clock::now();
  b->Join();
  EXPECT_TRUE(b->result.ok());
  ASSERT_TRUE(WaitFor([&] { return c->elector->IsLeader(); }, seconds(10)));
  double handover =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - released_at).count();
  EXPECT_LT(handover, 6.0);
  sampling = false;
  sampler.join();
  EXPECT_FALSE(both.load());

  auto client = KubeEnvironment::NewClient();
  Result<Object> lease = client->Get(LeasesType(), ns, "kube-test-lock");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(Object::StringField(lease->spec(), "holderIdentity"), "c");
  EXPECT_EQ(Object::IntField(lease->spec(), "leaseDurationSeconds"), 15);
  EXPECT_EQ(Object::IntField(lease->spec(), "leaseTransitions"), 2);
  c->Join();
}

TEST(KubeLeaderElection, LosingTheLeaseStopsLeadingBeforeAnotherWrite) {
  SKIP_WITHOUT_APISERVER();
  const std::string ns = KubeEnvironment::NewNamespace("lost");
  std::atomic<bool> writes_refused_in_callback{false};
  auto client = KubeEnvironment::NewClient();
  LeaderElectionConfig c;
  c.lease_namespace = ns;
  c.lease_name = "lost-lock";
  c.identity = "me";
  LeaderElector* elector_ptr = nullptr;
  // The reconcile client is fenced by IsLeader; by the time OnStoppedLeading runs it already
  // refuses writes.
  RestClientOptions fenced;
  fenced.write_allowed = [&] { return elector_ptr != nullptr && elector_ptr->IsLeader(); };
  auto reconcile_client = KubeEnvironment::NewClient(fenced);
  c.on_stopped_leading = [&] {
    Object o;
    o.set_name("after-loss");
    Result<Object> w = reconcile_client->Create(SecretsType(), ns, o);
    writes_refused_in_callback = !w.ok() && w.status().code() == StatusCode::kAborted;
  };
  LeaderElector elector(*client, c);
  elector_ptr = &elector;
  Status result;
  std::thread t([&] { result = elector.Run(); });
  ASSERT_TRUE(WaitFor([&] { return elector.IsLeader(); }, seconds(10)));
  Object ok_secret;
  ok_secret.set_name("while-leading");
  EXPECT_TRUE(reconcile_client->Create(SecretsType(), ns, ok_secret).ok());

  // Someone else takes the Lease (as after a long pause of ours).
  Result<Object> lease = client->Get(LeasesType(), ns, "lost-lock");
  ASSERT_TRUE(lease.ok());
  lease->json()["spec"]["holderIdentity"] = web::json::value::string("intruder");
  lease->json()["spec"]["leaseDurationSeconds"] = web::json::value::number(3600);
  ASSERT_TRUE(client->Update(LeasesType(), *lease).ok());

  t.join();
  EXPECT_EQ(result.code(), StatusCode::kAborted) << result.ToString();
  EXPECT_FALSE(elector.IsLeader());
  EXPECT_TRUE(writes_refused_in_callback.load());
  Result<Object> after = client->Get(LeasesType(), ns, "lost-lock");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(Object::StringField(after->spec(), "holderIdentity"), "intruder");
}

}  // namespace
}  // namespace edgerepl::kube::testing
