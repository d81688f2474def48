// Two agents share one config file, as a namespace's pods share the operator's config Secret, and
// each gets its own instance ID: --instance-id for one, $EDGEREPL_INSTANCE_ID (as the chart sets
// it from the pod's name) for the other. Each agent's points carry its own `_instance_id` tag,
// locally and at the remote, and the override outlives a reload of the shared file.
#include <gtest/gtest.h>

#include <thread>

#include "tests/integration/agent/test_env.h"

namespace edgerepl::testing {
namespace {

using std::chrono::seconds;

std::string TagValues(Influxd& influxd) {
  return influxd.Query("SHOW TAG VALUES FROM \"m\" WITH KEY = \"_instance_id\"", "db");
}

TEST(AgentInstanceIdTest, EachAgentOfASharedFileHasItsOwnInstanceId) {
  EDGEREPL_REQUIRE_SERVERS();
  Influxd local_a, local_b, remote;
  local_a.Start();
  local_b.Start();
  remote.Start();
  local_a.CreateDatabase("db");
  local_b.CreateDatabase("db");
  remote.CreateDatabase("db");
  TempDir dir_a, dir_b;
  // The file's own instanceID is what both would use without the override.
  std::string shared = "instanceID: from-the-file\n";
  AgentProcess a(dir_a, AgentBody(local_a.url(), dir_a.Join("data"), remote.url(), shared));
  AgentProcess b(dir_b, AgentBody(local_b.url(), dir_b.Join("data"), remote.url(), shared));
  a.SetExtraArgs({"--instance-id", "pod-a"});
  b.SetExtraEnv({"EDGEREPL_INSTANCE_ID=pod-b"});
  ASSERT_TRUE(a.Start()) << a.Log();
  ASSERT_TRUE(b.Start()) << b.Log();

  std::string ts = std::to_string(BaseNs());
  ASSERT_EQ(a.WriteV1("db=db", "m v=1 " + ts + "\n"), 204);
  ASSERT_EQ(b.WriteV1("db=db", "m v=2 " + ts + "\n"), 204);
  ASSERT_TRUE(a.WaitDrained(seconds(20)));
  ASSERT_TRUE(b.WaitDrained(seconds(20)));
  // Same series and time from both pods: two points at the remote, one per instance.
  EXPECT_EQ(remote.CountPoints("db", "m", "v"), 2);
  std::string tags = TagValues(remote);
  EXPECT_NE(tags.find("\"pod-a\""), std::string::npos) << tags;
  EXPECT_NE(tags.find("\"pod-b\""), std::string::npos) << tags;
  EXPECT_EQ(tags.find("from-the-file"), std::string::npos) << tags;
  EXPECT_NE(TagValues(local_a).find("\"pod-a\""), std::string::npos);

  // A reload of the shared file (the operator rewrote the Secret) keeps each pod's own ID.
  a.RewriteConfig(AgentBody(local_a.url(), dir_a.Join("data"), remote.url(),
                            "instanceID: changed-in-the-file\n"));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_EQ(a.WriteV1("db=db", "m v=3 " + std::to_string(BaseNs() + 1) + "\n"), 204);
  ASSERT_TRUE(a.WaitDrained(seconds(20)));
  EXPECT_EQ(remote.CountPoints("db", "m", "v"), 3);
  tags = TagValues(remote);
  EXPECT_EQ(tags.find("changed-in-the-file"), std::string::npos) << tags;
}

}  // namespace
}  // namespace edgerepl::testing
