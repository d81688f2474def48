// A protocol v1 remote with a username and password, against a real influxd 1.6.7 with
// `auth-enabled = true` and an admin user: the right password replicates, a wrong one leaves the
// replication Unauthorized with 401, by HTTP Basic auth and by the `u`/`p` query parameters; a
// rotated passwordFile is picked up like a tokenFile; the password never shows in status,
// metrics or the log.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/codec/base64.h"
#include "tests/integration/agent/test_env.h"

namespace edgerepl::testing {
namespace {

using std::chrono::seconds;

constexpr const char* kUser = "edge-admin";
constexpr const char* kPassword = "r1ght-pa55word";
constexpr const char* kWrongPassword = "wr0ng-pa55word";

// Replaces `path` atomically, as the kubelet swaps a Secret volume.
void WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  std::filesystem::rename(tmp, path);
}

class AgentV1AuthTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    EDGEREPL_REQUIRE_SERVERS();
    local_ = std::make_unique<Influxd>();
    InfluxdOptions remote_options;
    remote_options.auth_enabled = true;
    remote_ = std::make_unique<Influxd>(remote_options);
    local_->Start();
    remote_->Start();
    local_->CreateDatabase("db");
    remote_->CreateAdmin(kUser, kPassword);
    auth_ = "Basic " + codec::Base64Encode(std::string(kUser) + ":" + kPassword);
    remote_->Query("CREATE DATABASE db", "", auth_);
  }

  void StartAgent(const std::string& credentials) {
    agent_ = std::make_unique<AgentProcess>(
        dir_, AgentBody(local_->url(), dir_.Join("data"), remote_->url(), "",
                        "    username: " + std::string(kUser) +
                            "\n    credentialsIn: " + GetParam() + "\n" + credentials));
    ASSERT_TRUE(agent_->Start()) << agent_->Log();
  }

  void WritePoints(int from, int n) {
    std::string body;
    for (int i = from; i < from + n; ++i) {
      body += "m v=" + std::to_string(i) + " " + std::to_string(BaseNs() + i) + "\n";
    }
    ASSERT_EQ(agent_->WriteV1("db=db", body), 204);
  }

  // Waits for the replication's state; returns the last status answer.
  std::string WaitState(const std::string& state, seconds timeout = seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string status;
    while (std::chrono::steady_clock::now() < deadline) {
      status = agent_->Replications();
      if (JsonStr(status, "state") == state) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return status;
  }

  void ExpectNoPasswordAnywhere() {
    for (const char* secret : {kPassword, kWrongPassword}) {
      EXPECT_EQ(agent_->Replications().find(secret), std::string::npos);
      EXPECT_EQ(agent_->Admin("/api/v1/replications/rep-1").find(secret), std::string::npos);
      EXPECT_EQ(agent_->Metrics().find(secret), std::string::npos);
      EXPECT_EQ(agent_->Log().find(secret), std::string::npos);
    }
  }

  TempDir dir_;
  std::unique_ptr<Influxd> local_;
  std::unique_ptr<Influxd> remote_;
  std::unique_ptr<AgentProcess> agent_;
  std::string auth_;
};

TEST_P(AgentV1AuthTest, RightPasswordReplicates) {
  StartAgent("    password: " + std::string(kPassword) + "\n");
  WritePoints(0, 100);
  ASSERT_TRUE(agent_->WaitDrained(seconds(20))) << agent_->Replications();
  EXPECT_EQ(remote_->CountPoints("db", "m", "v", auth_), 100);
  std::string status = agent_->Replications();
  EXPECT_EQ(JsonInt(status, "latestResponseCode"), 204) << status;
  ExpectNoPasswordAnywhere();
}

TEST_P(AgentV1AuthTest, WrongPasswordIsUnauthorizedUntilThePasswordFileIsRotated) {
  std::string file = dir_.Join("password");
  std::ofstream(file) << kWrongPassword << "\n";
  StartAgent("    passwordFile: \"" + file + "\"\n");
  WritePoints(0, 100);
  std::string status = WaitState("Unauthorized");
  EXPECT_EQ(JsonStr(status, "state"), "Unauthorized") << status;
  EXPECT_EQ(JsonInt(status, "latestResponseCode"), 401) << status;
  EXPECT_EQ(JsonInt(status, "pendingPoints"), 100) << status;
  EXPECT_EQ(remote_->CountPoints("db", "m", "v", auth_), 0);
  ExpectNoPasswordAnywhere();

  // The file's directory is watched: the right password replicates what waited, no signal sent.
  WriteFileAtomically(file, std::string(kPassword) + "\n");
  ASSERT_TRUE(agent_->WaitDrained(seconds(30))) << agent_->Replications() << agent_->Log();
  EXPECT_EQ(remote_->CountPoints("db", "m", "v", auth_), 100);
  ExpectNoPasswordAnywhere();
}

INSTANTIATE_TEST_SUITE_P(CredentialsIn, AgentV1AuthTest, ::testing::Values("header", "query"));

}  // namespace
}  // namespace edgerepl::testing
