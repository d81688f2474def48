// The official JavaScript client (@influxdata/influxdb-client, from npm) writing through the agent
// with the v2 API in front of influxd 1.6.7, which has no /api/v2/write: the agent writes v1 as
// InfluxDB 1.8 maps it (bucket db/rp, Token user:password) and answers in v2's shape. The client
// is installed by scripts/js-client.sh into ~/.cache/edgerepl/js-client; without it (or node) the
// test is skipped with a message.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/integration/agent/test_env.h"

namespace edgerepl::testing {
namespace {

std::string ModuleDir() {
  if (const char* d = std::getenv("EDGEREPL_JS_CLIENT_DIR")) return d;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.cache/edgerepl/js-client/node_modules";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] == '{') out.push_back(line);
  }
  return out;
}

TEST(AgentJsClientTest, V2ClientWritesThroughTheAgentToInfluxd1xAndIsReplicated) {
  EDGEREPL_REQUIRE_SERVERS();
  auto node = FindExecutable("node");
  if (!node) GTEST_SKIP() << "no node";
  if (!std::ifstream(ModuleDir() + "/@influxdata/influxdb-client/package.json"))
    GTEST_SKIP() << "no @influxdata/influxdb-client in " << ModuleDir()
                 << " (scripts/js-client.sh installs it)";
  const std::string script = EDGEREPL_JS_WRITE_SCRIPT;

  InfluxdOptions auth;
  auth.auth_enabled = true;
  Influxd local(auth);
  Influxd remote;
  local.Start();
  remote.Start();
  local.CreateAdmin("edge", "secret");
  const std::string basic = "Basic ZWRnZTpzZWNyZXQ=";  // edge:secret
  ASSERT_FALSE(local.Query("CREATE DATABASE db", "", basic).empty());
  remote.CreateDatabase("db");
  TempDir dir;
  AgentProcess agent(dir, "local: {url: \"" + local.url() + "\"}\ndataDir: \"" + dir.Join("data") +
                              "\"\ninstanceID: edge-js\nremotes:\n  - {name: remote, url: \"" +
                              remote.url() +
                              "\", protocol: v1}\nreplications:\n  - {id: r1, name: r1, remote: "
                              "remote, localBucket: db, remoteBucket: db, backoff: {min: 100ms, "
                              "max: 1s}}\n");
  ASSERT_TRUE(agent.Start()) << agent.Log();

  const std::string out_path = dir.Join("js.out");
  const std::string cmd = *node + " " + script + " " + ModuleDir() +
                          " http://127.0.0.1:" + std::to_string(agent.write_port()) +
                          " edge:secret " + std::to_string(BaseNs() / 1'000'000) + " > " +
                          out_path + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(out_path);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> steps = Lines(text.str());
  ASSERT_EQ(steps.size(), 4u) << text.str() << "\n" << agent.Log();
  EXPECT_EQ(steps[0], "{\"ok\":true}") << "bucket db/autogen";
  EXPECT_EQ(steps[1], "{\"ok\":true}") << "bucket db";
  // The partial write: 400 in v2's shape, the message influxd's.
  EXPECT_NE(steps[2].find("\"status\":400"), std::string::npos) << steps[2];
  EXPECT_NE(steps[2].find("\"code\":\"invalid\""), std::string::npos) << steps[2];
  EXPECT_NE(steps[2].find("partial write: field type conflict"), std::string::npos) << steps[2];
  // A wrong password: the local's 401, in v2's shape.
  EXPECT_NE(steps[3].find("\"status\":401"), std::string::npos) << steps[3];
  EXPECT_NE(steps[3].find("\"code\":\"unauthorized\""), std::string::npos) << steps[3];

  ASSERT_TRUE(agent.WaitDrained(std::chrono::seconds(30))) << agent.Replications();
  EXPECT_EQ(local.CountPoints("db", "js", "v", basic), 4) << "rp, rp, plain, mixed's integer";
  EXPECT_EQ(remote.CountPoints("db", "js", "v"), 4);
  std::string tagged = remote.Query("SELECT count(v) FROM js WHERE _instance_id = 'edge-js'", "db");
  EXPECT_NE(tagged.find(",4]"), std::string::npos) << tagged;
  EXPECT_NE(agent.Log().find("no /api/v2/write"), std::string::npos) << agent.Log();
  EXPECT_EQ(agent.Log().find("secret"), std::string::npos) << "no password in the log";
}

}  // namespace
}  // namespace edgerepl::testing
