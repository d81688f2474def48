// The write port is open by the time the admin port is: a client (or a test, or a readiness
// probe) that waits for the admin port and then writes is never refused. The agent starts
// listening on the write port before the admin port, and holds live writes itself while
// interrupted ones are replayed.
#include <gtest/gtest.h>

#include <unistd.h>

#include <thread>

#include "tests/integration/agent/test_env.h"

namespace edgerepl::testing {
namespace {

TEST(AgentStartupTest, TheWritePortIsOpenWhenTheAdminPortIs) {
  EDGEREPL_REQUIRE_SERVERS();
  Influxd local, remote;
  local.Start();
  remote.Start();
  local.CreateDatabase("db");
  remote.CreateDatabase("db");
  for (int round = 0; round < 5; ++round) {
    TempDir dir;
    AgentProcess agent(dir, AgentBody(local.url(), dir.Join("data"), remote.url()));
    ChildProcess process({AgentBinary(), "--config", agent.config_path(), "--log-level", "debug"},
                         agent.log_path());
    // Polled as tightly as a client could: the first moment the admin port takes a connection.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int admin = -1;
    while (admin < 0 && std::chrono::steady_clock::now() < deadline && process.Running()) {
      admin = ConnectLoopback(agent.admin_port());
      if (admin < 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ASSERT_GE(admin, 0) << agent.Log();
    ::close(admin);
    int write = ConnectLoopback(agent.write_port());
    EXPECT_GE(write, 0) << "round " << round << ": the admin port was up before the write port\n"
                        << agent.Log();
    if (write >= 0) ::close(write);
    EXPECT_EQ(HttpRequest(agent.write_port(), "POST", "/write?db=db", {},
                          "m v=" + std::to_string(round) + " " + std::to_string(BaseNs()) + "\n"),
              204)
        << agent.Log();
    process.Signal(SIGTERM);
    ASSERT_TRUE(process.Wait(std::chrono::seconds(30)).has_value());
  }
}

}  // namespace
}  // namespace edgerepl::testing
