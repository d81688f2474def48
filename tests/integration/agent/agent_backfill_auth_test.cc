// Backfill from a local influxd 1.6.7 with `auth-enabled = true`: without local.token its queries
// are refused, the refusal is the backfill's lastError naming the setting and nothing reaches the
// remote; with local.tokenFile holding "user:password" (added by a reload) it completes and the
// remote holds exactly the local's points. The password never shows in status, metrics or the log.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "common/codec/base64.h"
#include "common/config/timestamp.h"
#include "tests/integration/agent/test_env.h"

namespace edgerepl::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr const char* kUser = "local-admin";
constexpr const char* kPassword = "l0cal-pa55word";
constexpr const char* kWrongPassword = "wr0ng-pa55word";
constexpr int64_t kMinuteNs = 60LL * 1'000'000'000;

// The agent's own RFC 3339 form, as the config and the admin call take it.
std::string Rfc3339(int64_t ns) {
  return config::FormatTimestamp(ns);
}

class AgentBackfillAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EDGEREPL_REQUIRE_SERVERS();
    InfluxdOptions local_options;
    local_options.auth_enabled = true;
    local_ = std::make_unique<Influxd>(local_options);
    local_->Start();
    remote_.Start();
    local_->CreateAdmin(kUser, kPassword);
    auth_ = "Basic " + codec::Base64Encode(std::string(kUser) + ":" + kPassword);
    local_->Query("CREATE DATABASE db", "", auth_);
    remote_.CreateDatabase("db");

    // History: integers, floats, strings and booleans over two measurements, ten minutes ago.
    from_ = BaseNs() - 10 * kMinuteNs;
    std::string body;
    for (int i = 0; i < 500; ++i) {
      body += "m,host=h" + std::to_string(i % 4) + " v=" + std::to_string(i) +
              "i,f=" + std::to_string(i) + ".5 " + std::to_string(from_ + i * 1000) + "\n";
      body += "e,k=a s=\"s" + std::to_string(i) + "\",b=" + (i % 2 ? "true" : "false") + " " +
              std::to_string(from_ + i * 1000 + 1) + "\n";
    }
    std::string response;
    ASSERT_EQ(local_->Write("db", body, "n", &response, auth_), 204) << response;
  }

  // The agent's config; `local_extra` goes inside the `local` map.
  std::string Body(const std::string& local_extra) {
    std::string body = AgentBody(local_->url(), dir_.Join("data"), remote_.url(), "", "",
                                 "    backfill: {from: \"" + Rfc3339(from_) + "\", to: \"" +
                                     Rfc3339(from_ + kMinuteNs) + "\"}\n");
    const std::string local_end = "timeout: 10s}";
    body.replace(body.find(local_end), local_end.size(), "timeout: 10s" + local_extra + "}");
    return body;
  }

  void WriteTokenFile(const std::string& token) {
    std::ofstream(dir_.Join("local-token")) << token << "\n";
  }

  std::string BackfillJson() {
    std::string status = agent_->Admin("/api/v1/replications/rep-1");
    size_t at = status.find("\"backfill\":");
    return at == std::string::npos ? "" : status.substr(at);
  }

  // Waits until the backfill's `key` holds `text`; returns the last backfill object.
  std::string WaitBackfill(const std::string& key, const std::string& text,
                           seconds timeout = seconds(60)) {
    auto deadline = steady_clock::now() + timeout;
    std::string json;
    while (steady_clock::now() < deadline) {
      json = BackfillJson();
      if (JsonStr(json, key).find(text) != std::string::npos) break;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return json;
  }

  long long RemotePoints() {
    return remote_.CountPoints("db", "m", "v") + remote_.CountPoints("db", "e", "s");
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
  Influxd remote_;
  std::unique_ptr<AgentProcess> agent_;
  std::string auth_;
  int64_t from_ = 0;
};

TEST_F(AgentBackfillAuthTest, WithoutLocalTokenTheRefusalIsShownThenATokenFileCompletesIt) {
  agent_ = std::make_unique<AgentProcess>(dir_, Body(""));
  ASSERT_TRUE(agent_->Start()) << agent_->Log();
  std::string json = WaitBackfill("lastError", "HTTP 401");
  EXPECT_NE(JsonStr(json, "lastError")
                .find("the local database refused the backfill's query (HTTP 401): set "
                      "local.token or local.tokenFile"),
            std::string::npos)
      << json;
  EXPECT_NE(JsonStr(json, "state"), "Complete") << json;
  EXPECT_EQ(JsonInt(json, "points"), 0) << json;
  EXPECT_EQ(RemotePoints(), 0);

  WriteTokenFile(std::string(kUser) + ":" + kPassword);
  agent_->RewriteConfig(Body(", tokenFile: local-token"));
  agent_->Signal(SIGHUP);
  json = WaitBackfill("state", "Complete");
  ASSERT_EQ(JsonStr(json, "state"), "Complete") << json << agent_->Log();
  EXPECT_EQ(JsonInt(json, "points"), 1000) << json;
  EXPECT_EQ(RemotePoints(), 1000);
  // Every value, type and tag: the answers to the same query are the same text.
  const std::string q = "SELECT * FROM /.*/ GROUP BY *";
  std::string l = local_->Query(q, "db", auth_);
  EXPECT_NE(l.find("\"series\""), std::string::npos) << l;
  EXPECT_EQ(remote_.Query(q, "db"), l);
  ExpectNoPasswordAnywhere();
}

TEST_F(AgentBackfillAuthTest, AWrongPasswordIsRefusedWithoutShowingIt) {
  WriteTokenFile(std::string(kUser) + ":" + kWrongPassword);
  agent_ = std::make_unique<AgentProcess>(dir_, Body(", tokenFile: local-token"));
  ASSERT_TRUE(agent_->Start()) << agent_->Log();
  std::string json = WaitBackfill("lastError", "HTTP 401");
  EXPECT_NE(JsonStr(json, "lastError")
                .find("the local database refused the backfill's query (HTTP 401): check "
                      "local.token or local.tokenFile"),
            std::string::npos)
      << json;
  EXPECT_EQ(RemotePoints(), 0);
  ExpectNoPasswordAnywhere();
}

}  // namespace
}  // namespace edgerepl::testing
