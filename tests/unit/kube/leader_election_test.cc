// Leader election against a replaying API server: renewals failing past the renew deadline end
// leadership before anything more is written, and Stop() releases the Lease.
#include "operator/kube/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "operator/kube/transport_cpprest.h"
#include "tests/unit/kube/replay_server.h"

namespace edgerepl::kube {
namespace {

using std::chrono::milliseconds;
using testing::ReplayAnswer;
using testing::ReplayRequest;
using testing::ReplayServer;

LeaderElectionConfig FastConfig() {
  LeaderElectionConfig c;
  c.lease_namespace = "ns";
  c.lease_name = "lock";
  c.identity = "me";
  c.lease_duration = milliseconds(3000);
  c.renew_deadline = milliseconds(1500);
  c.retry_period = milliseconds(300);
  return c;
}

// Echoes a written Lease back with a new resourceVersion, as the API server does.
std::string Stored(const std::string& body, int rv) {
  auto lease = Object::Parse(body).value();
  lease.set_resource_version(std::to_string(rv));
  return lease.Serialize();
}

std::unique_ptr<RestClient> Client(const ReplayServer& server) {
  Config config;
  config.server = server.url();
  return std::make_unique<RestClient>(config, std::move(MakeCpprestTransport(config).value()),
                                      RealClock::Instance());
}

TEST(LeaderElector, RenewalsFailingPastTheDeadlineEndLeadershipWithoutFurtherWrites) {
  std::atomic<bool> api_down{false};
  std::atomic<int> writes_after_down{0};
  std::atomic<int> rv{1};
  std::mutex mu;
  std::string stored;
  ReplayServer server([&](const ReplayRequest& r) {
    ReplayAnswer a;
    if (api_down) {
      if (r.method != "GET") writes_after_down++;
      a.status = 503;
      a.body = R"({"kind":"Status","code":503,"reason":"ServiceUnavailable","message":"down"})";
      return a;
    }
    std::lock_guard<std::mutex> lock(mu);
    if (r.method == "GET" && stored.empty()) {
      a.status = 404;
      a.body = R"({"kind":"Status","code":404,"reason":"NotFound","message":"not found"})";
    } else if (r.method == "GET") {
      a.body = stored;
    } else {
      stored = Stored(r.body, ++rv);
      a.status = r.method == "POST" ? 201 : 200;
      a.body = stored;
    }
    return a;
  });
  auto client = Client(server);
  std::atomic<bool> leader_in_callback{true};
  std::atomic<int> started{0}, stopped{0};
  LeaderElectionConfig c = FastConfig();
  LeaderElector* self = nullptr;
  c.on_started_leading = [&] { started++; };
  c.on_stopped_leading = [&] {
    stopped++;
    leader_in_callback = self->IsLeader();
  };
  LeaderElector elector(*client, c);
  self = &elector;
  Status result;
  std::thread t([&] { result = elector.Run(); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!elector.IsLeader() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_TRUE(elector.IsLeader());
  std::this_thread::sleep_for(milliseconds(800));  // a few renewals
  EXPECT_TRUE(elector.IsLeader());
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_GE(rv.load(), 3);  // created, then renewed at least once
  }

  auto down_at = std::chrono::steady_clock::now();
  api_down = true;
  t.join();
  auto lost_after = std::chrono::steady_clock::now() - down_at;
  EXPECT_EQ(result.code(), StatusCode::kAborted) << result.ToString();
  EXPECT_FALSE(elector.IsLeader());
  EXPECT_FALSE(leader_in_callback.load());  // IsLeader was already false in the callback
  EXPECT_EQ(started.load(), 1);
  EXPECT_EQ(stopped.load(), 1);
  EXPECT_EQ(writes_after_down.load(), 0);  // renewals only read while the API is down
  EXPECT_LT(lost_after, std::chrono::milliseconds(1500 + 600));
}

TEST(LeaderElector, StopReleasesTheLease) {
  std::mutex mu;
  std::string stored = Object(web::json::value::parse(
                                  R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
        "metadata":{"name":"lock","namespace":"ns","resourceVersion":"1"},
        "spec":{"holderIdentity":"","leaseDurationSeconds":1,"leaseTransitions":4}})"))
                           .Serialize();
  std::vector<std::string> puts;
  int rv = 1;
  ReplayServer server([&](const ReplayRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    ReplayAnswer a;
    if (r.method == "PUT") {
      // A stale resourceVersion is a conflict, as on a real server.
      if (Object::Parse(r.body)->resource_version() != std::to_string(rv)) {
        a.status = 409;
        a.body = R"({"kind":"Status","code":409,"reason":"Conflict","message":"modified"})";
        return a;
      }
      puts.push_back(r.body);
      stored = Stored(r.body, ++rv);
    }
    a.body = stored;
    return a;
  });
  auto client = Client(server);
  LeaderElectionConfig c = FastConfig();
  LeaderElector* self = nullptr;
  std::string announced;
  // Callbacks may ask the elector about itself without deadlocking.
  c.on_new_leader = [&](const std::string& id) { announced = id + "/" + self->observed_holder(); };
  LeaderElector elector(*client, c);
  self = &elector;
  Status result;
  std::thread t([&] { result = elector.Run(); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!elector.IsLeader() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_TRUE(elector.IsLeader());  // an empty holder is free at once
  EXPECT_EQ(elector.observed_holder(), "me");
  EXPECT_EQ(announced, "me/me");
  elector.Stop();
  t.join();
  EXPECT_TRUE(result.ok());
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_GE(puts.size(), 2u);
  auto first = Object::Parse(puts.front()).value();
  EXPECT_EQ(Object::StringField(first.spec(), "holderIdentity"), "me");
  EXPECT_EQ(Object::IntField(first.spec(), "leaseTransitions"), 5);
  EXPECT_EQ(Object::IntField(first.spec(), "leaseDurationSeconds"), 3);
  EXPECT_TRUE(ParseTime(Object::StringField(first.spec(), "renewTime")).has_value());
  auto last = Object::Parse(puts.back()).value();
  EXPECT_EQ(Object::StringField(last.spec(), "holderIdentity"), "");
  EXPECT_EQ(Object::IntField(last.spec(), "leaseDurationSeconds"), 1);
}

}  // namespace
}  // namespace edgerepl::kube
