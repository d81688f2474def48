#include "agent/admin/admin_api.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>

#include "agent/admin/agent_metrics.h"

namespace edgerepl::admin {
namespace {

class FakeBackend final : public Backend {
 public:
  std::vector<ReplicationStatus> Replications() const override { return replications; }
  std::string ConfigHash() const override { return "abc123"; }
  std::string AdminToken() const override { return token; }
  bool SkipHead(std::string_view id) override {
    skipped.emplace_back(id);
    return Known(id);
  }
  bool RetryNow(std::string_view id) override {
    retried.emplace_back(id);
    return Known(id);
  }
  Status Ready() override { return ready; }

  bool Known(std::string_view id) const {
    for (const auto& r : replications) {
      if (r.id == id) return true;
    }
    return false;
  }

  std::vector<ReplicationStatus> replications;
  std::string token;
  Status ready;
  std::vector<std::string> skipped;
  std::vector<std::string> retried;
};

httpserver::Request Req(std::string method, std::string path, std::string auth = "") {
  httpserver::Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  if (!auth.empty()) r.headers.emplace_back("Authorization", std::move(auth));
  return r;
}

class AdminApiTest : public ::testing::Test {
 protected:
  AdminApiTest() : metrics_(registry_, "9.9.9"), api_(backend_, registry_, "9.9.9") {
    ReplicationStatus r;
    r.id = "r-1";
    r.name = "edge";
    r.remote = "cloud";
    r.local_bucket = "telegraf";
    r.remote_bucket = "edge";
    r.max_queue_size_bytes = 67108860;
    r.current_queue_size_bytes = 1234;
    r.pending_points = 10;
    r.latest_response_code = 503;
    r.latest_error_message = "remote \"down\"";
    r.state = sender::State::kBackoff;
    r.dropped_points["queue_full"] = 7;
    backend_.replications.push_back(r);
  }

  prometheus::Registry registry_;
  FakeBackend backend_;
  AgentMetrics metrics_;
  AdminApi api_;
};

TEST_F(AdminApiTest, HealthzAlwaysOk) {
  EXPECT_EQ(api_.Handle(Req("GET", "/healthz")).status, 200);
  backend_.ready = Status::Unavailable("local InfluxDB unreachable");
  EXPECT_EQ(api_.Handle(Req("GET", "/healthz")).status, 200);
}

TEST_F(AdminApiTest, ReadyzReportsWhyNot) {
  EXPECT_EQ(api_.Handle(Req("GET", "/readyz")).status, 200);
  backend_.ready = Status::Unavailable("local InfluxDB unreachable");
  auto r = api_.Handle(Req("GET", "/readyz"));
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("local InfluxDB unreachable"), std::string::npos);
}

TEST_F(AdminApiTest, MetricsIncludeBuildInfoAndReloadGauge) {
  metrics_.ReloadOutcome(false, 0);
  auto r = api_.Handle(Req("GET", "/metrics"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("edgerepl_build_info{version=\"9.9.9\"} 1"), std::string::npos);
  EXPECT_NE(r.body.find("edgerepl_config_last_reload_successful 0"), std::string::npos);
  metrics_.ReloadOutcome(true, 5);
  r = api_.Handle(Req("GET", "/metrics"));
  EXPECT_NE(r.body.find("edgerepl_config_last_reload_successful 1"), std::string::npos);
}

TEST_F(AdminApiTest, ReplicationsListHasDesignFields) {
  auto r = api_.Handle(Req("GET", "/api/v1/replications"));
  EXPECT_EQ(r.status, 200);
  for (const char* field :
       {"\"version\":\"9.9.9\"", "\"configHash\":\"abc123\"", "\"id\":\"r-1\"", "\"name\":\"edge\"",
        "\"remote\":\"cloud\"", "\"localBucket\":\"telegraf\"", "\"remoteBucket\":\"edge\"",
        "\"maxQueueSizeBytes\":67108860", "\"currentQueueSizeBytes\":1234", "\"pendingPoints\":10",
        "\"latestResponseCode\":503", "\"latestErrorMessage\":\"remote \\\"down\\\"\"",
        "\"lastSuccessTime\":null", "\"consecutiveFailures\":0",
        "\"oldestPendingAgeSeconds\":0.000", "\"state\":\"Backoff\"",
        "\"dropped\":{\"queue_full\":7}"}) {
    EXPECT_NE(r.body.find(field), std::string::npos) << field << " in " << r.body;
  }
}

TEST_F(AdminApiTest, OneReplicationById) {
  EXPECT_EQ(api_.Handle(Req("GET", "/api/v1/replications/r-1")).status, 200);
  EXPECT_EQ(api_.Handle(Req("GET", "/api/v1/replications/nope")).status, 404);
}

TEST_F(AdminApiTest, ActionsOpenWithoutToken) {
  EXPECT_EQ(api_.Handle(Req("POST", "/api/v1/replications/r-1/skip-head")).status, 202);
  EXPECT_EQ(api_.Handle(Req("POST", "/api/v1/replications/r-1/retry-now")).status, 202);
  EXPECT_EQ(backend_.skipped, std::vector<std::string>{"r-1"});
  EXPECT_EQ(backend_.retried, std::vector<std::string>{"r-1"});
  EXPECT_EQ(api_.Handle(Req("POST", "/api/v1/replications/zz/retry-now")).status, 404);
  EXPECT_EQ(api_.Handle(Req("GET", "/api/v1/replications/r-1/retry-now")).status, 405);
}

TEST_F(AdminApiTest, ActionsNeedBearerTokenWhenConfigured) {
  backend_.token = "s3cret-admin";
  EXPECT_EQ(api_.Handle(Req("POST", "/api/v1/replications/r-1/skip-head")).status, 401);
  EXPECT_EQ(api_.Handle(Req("POST", "/api/v1/replications/r-1/skip-head", "Bearer wrong")).status,
            401);
  EXPECT_EQ(
      api_.Handle(Req("POST", "/api/v1/replications/r-1/skip-head", "Basic s3cret-admin")).status,
      401);
  EXPECT_EQ(
      api_.Handle(Req("POST", "/api/v1/replications/r-1/skip-head", "Bearer s3cret-admin2")).status,
      401);
  EXPECT_TRUE(backend_.skipped.empty());
  auto ok = api_.Handle(Req("POST", "/api/v1/replications/r-1/skip-head", "Bearer s3cret-admin"));
  EXPECT_EQ(ok.status, 202);
  EXPECT_EQ(ok.body.find("s3cret"), std::string::npos);
  EXPECT_EQ(backend_.skipped, std::vector<std::string>{"r-1"});
  EXPECT_EQ(
      api_.Handle(Req("POST", "/api/v1/replications/r-1/retry-now", "Token s3cret-admin")).status,
      202);
}

TEST_F(AdminApiTest, TokenHeaderOfItsOwnIsAcceptedForThePodProxy) {
  backend_.token = "s3cret-admin";
  auto with = [](std::string token) {
    httpserver::Request r = Req("POST", "/api/v1/replications/r-1/retry-now");
    r.headers.emplace_back("X-Edgerepl-Admin-Token", std::move(token));
    return r;
  };
  EXPECT_EQ(api_.Handle(with("wrong")).status, 401);
  EXPECT_EQ(api_.Handle(with("")).status, 401);
  EXPECT_TRUE(backend_.retried.empty());
  EXPECT_EQ(api_.Handle(with("s3cret-admin")).status, 202);
  EXPECT_EQ(backend_.retried, std::vector<std::string>{"r-1"});
}

TEST_F(AdminApiTest, UnknownPathIs404Json) {
  auto r = api_.Handle(Req("GET", "/nope"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body.rfind("{\"code\":\"not found\"", 0), 0u) << r.body;
}

}  // namespace
}  // namespace edgerepl::admin
