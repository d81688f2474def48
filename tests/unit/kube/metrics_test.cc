// The client's metrics keep the names dashboards expect and pass `promtool check metrics`.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <sys/wait.h>

#include <fstream>

#include "operator/kube/leader_election.h"
#include "operator/kube/transport_cpprest.h"
#include "operator/kube/workqueue.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/kube/replay_server.h"

namespace edgerepl::kube {
namespace {

using ::edgerepl::testing::FakeClock;

TEST(Metrics, StandardNamesPassPromtool) {
  testing::ReplayServer server([](const testing::ReplayRequest&) {
    testing::ReplayAnswer a;
    a.body = R"({"metadata":{"name":"x","namespace":"ns","resourceVersion":"1"}})";
    return a;
  });
  FakeClock clock;
  prometheus::Registry registry;
  Config config;
  config.server = server.url();
  RestClient client(config, std::move(MakeCpprestTransport(config).value()), clock, &registry);
  ASSERT_TRUE(client.Get(SecretsType(), "ns", "x").ok());
  WorkQueue queue("replication", clock, &registry);
  queue.Add("ns/x");
  ASSERT_EQ(queue.Get(), "ns/x");
  queue.Done("ns/x");
  queue.AddRateLimited("ns/y");
  LeaderElectionConfig lec;
  lec.lease_namespace = "ns";
  lec.lease_name = "edgerepl-operator";
  lec.identity = "me";
  LeaderElector elector(client, lec, &registry);

  std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  for (const char* name :
       {"rest_client_requests_total{code=\"200\",method=\"GET\"} 1",
        "workqueue_depth{name=\"replication\"}", "workqueue_adds_total{name=\"replication\"} 1",
        "workqueue_retries_total{name=\"replication\"} 1",
        "workqueue_queue_duration_seconds_count{name=\"replication\"} 1",
        "workqueue_work_duration_seconds_count{name=\"replication\"} 1",
        "leader_election_master_status{name=\"edgerepl-operator\"} 0"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << "\n" << text;
  }

  auto promtool = edgerepl::testing::FindExecutable("promtool");
  if (!promtool) GTEST_SKIP() << "promtool not installed (Debian prometheus)";
  edgerepl::testing::TempDir dir;
  edgerepl::testing::WriteFileOrDie(dir.Join("metrics.txt"), text);
  edgerepl::testing::ChildProcess check(
      {"/bin/sh", "-c", *promtool + " check metrics < " + dir.Join("metrics.txt")},
      dir.Join("promtool.log"));
  auto status = check.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << edgerepl::testing::ReadFileOrDie(dir.Join("promtool.log"));
}

}  // namespace
}  // namespace edgerepl::kube
