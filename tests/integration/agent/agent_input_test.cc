// Bad input, bad configs, local authentication, and what the agent exposes: each bad request gets
// a clear error and leaves nothing stored or queued; no token ever shows in logs, metrics or
// status; /metrics passes `promtool check metrics`.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <algorithm>

#include <thread>

#include "common/codec/base64.h"
#include "common/codec/gzip.h"
#include "tests/integration/agent/test_env.h"

namespace edgerepl::testing {
namespace {

using std::chrono::seconds;

class AgentInputTest : public ::testing::Test {
 protected:
  void SetUp() override { EDGEREPL_REQUIRE_SERVERS(); }

  void StartServers(InfluxdOptions local_options = {}) {
    local_ = std::make_unique<Influxd>(local_options);
    remote_ = std::make_unique<Influxd>();
    local_->Start();
    remote_->Start();
    if (!local_options.auth_enabled) local_->CreateDatabase("db");
    remote_->CreateDatabase("db");
  }

  void StartAgent(const std::string& extra_top = "", const std::string& remote_extra = "") {
    agent_ = std::make_unique<AgentProcess>(
        dir_, AgentBody(local_->url(), dir_.Join("data"), remote_->url(), extra_top, remote_extra));
    ASSERT_TRUE(agent_->Start()) << agent_->Log();
  }

  // Nothing reached the queue or the remote.
  void ExpectNothingQueued() {
    std::string status = agent_->Replications();
    EXPECT_EQ(JsonInt(status, "pendingPoints"), 0) << status;
    EXPECT_EQ(JsonInt(status, "currentQueueSizeBytes"), 0) << status;
    std::string metrics = agent_->Metrics();
    // Absent (-1) or 0: nothing was ever enqueued.
    EXPECT_LE(MetricValue(metrics, "edgerepl_queue_enqueued_points_total{replication=\"r1\"}"), 0)
        << metrics;
    EXPECT_EQ(remote_->CountPoints("db", "m", "v"), 0);
  }

  TempDir dir_;
  std::unique_ptr<Influxd> local_;
  std::unique_ptr<Influxd> remote_;
  std::unique_ptr<AgentProcess> agent_;
};

TEST_F(AgentInputTest, BadRequestsGetClearErrorsAndStoreNothing) {
  StartServers();
  StartAgent("maxBodyBytes: 100000\n");
  std::string resp;

  EXPECT_EQ(agent_->WriteV1("db=db", "m v=1 1\nm v=\n m v=3 3\n", &resp), 400);
  EXPECT_EQ(resp.rfind("{\"error\":\"unable to parse", 0), 0u) << "1.x shape on /write: " << resp;
  EXPECT_NE(resp.find("line 2"), std::string::npos) << resp;

  EXPECT_EQ(agent_->WriteV1("db=db", "m v=1 1\nm,t=a x\n", &resp), 400);
  EXPECT_EQ(agent_->WriteV1("db=db", "m v=1 1\n", &resp, {{"Content-Encoding", "br"}}), 415);
  EXPECT_NE(resp.find("{\"error\":\"Content-Encoding \\\"br\\\" is not supported"),
            std::string::npos)
      << resp;
  EXPECT_EQ(agent_->WriteV1("db=db&precision=x", "m v=1 1\n", &resp), 400);

  std::string big;
  while (big.size() <= 100000) big += "m v=1 " + std::to_string(big.size()) + "\n";
  EXPECT_EQ(agent_->WriteV1("db=db", big, &resp), 413);
  auto bomb = codec::GzipCompress(std::string(64 << 20, ' ') + "m v=1 1\n").value();
  ASSERT_LT(bomb.size(), 100000u);  // small on the wire, 64 MiB inflated
  EXPECT_EQ(agent_->WriteV1("db=db", bomb, &resp, {{"Content-Encoding", "gzip"}}), 413);
  EXPECT_NE(resp.find("{\"error\":\"unable to read data: decompressed body exceeds"),
            std::string::npos)
      << resp;

  // Unknown database: the local InfluxDB's own answer comes back; nothing is queued.
  EXPECT_EQ(agent_->WriteV1("db=nosuch", "m v=1 1\n", &resp), 404);
  EXPECT_NE(resp.find("database not found"), std::string::npos) << resp;

  EXPECT_EQ(local_->CountPoints("db", "m", "v"), 0);
  ExpectNothingQueued();
  std::string metrics = agent_->Metrics();
  EXPECT_EQ(MetricValue(metrics, "edgerepl_write_requests_total{api=\"v1\",code=\"400\"}"), 3);
  EXPECT_EQ(MetricValue(metrics, "edgerepl_write_requests_total{api=\"v1\",code=\"413\"}"), 2)
      << "the plain body refused by the server's size check counts too";

  // A good write still works afterwards and gzip bodies are accepted.
  auto gz = codec::GzipCompress("m v=1 1\nm v=2 2\n").value();
  EXPECT_EQ(agent_->WriteV1("db=db", gz, &resp, {{"Content-Encoding", "gzip"}}), 204) << resp;
  ASSERT_TRUE(agent_->WaitDrained(seconds(30)));
  EXPECT_EQ(remote_->CountPoints("db", "m", "v"), 2);
}

TEST_F(AgentInputTest, EveryKindOfConfigErrorRefusesToStartNamingTheField) {
  StartServers();
  struct Case {
    std::string name, body, expect;
  };
  std::string ok = AgentBody(local_->url(), dir_.Join("data"), remote_->url());
  std::vector<Case> cases = {
      {"unknown field", ok + "colour: blue\n", "colour"},
      {"unknown remote",
       "local: {url: \"" + local_->url() + "\"}\ndataDir: \"" + dir_.Join("d") +
           "\"\nreplications:\n  - {id: a, name: a, remote: clod, "
           "localBucket: db, remoteBucket: db}\n",
       "replications[0].remote"},
      {"bad duration", "orphanGracePeriod: soon\n" + ok, "orphanGracePeriod"},
      {"queue too small", ok + "    maxQueueSizeBytes: 1000\n",
       "replications[0].maxQueueSizeBytes"},
      {"bad enum", "durability: sometimes\n" + ok, "durability"},
      {"bad url", "local: {url: \"ftp://x\"}\n", "local.url"},
      {"not yaml", "remotes: [\n", ""},
  };
  for (const auto& c : cases) {
    TempDir dir;
    AgentProcess agent(dir, c.body);
    EXPECT_FALSE(agent.Start(false)) << c.name;
    for (int i = 0; i < 100 && agent.Running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_FALSE(agent.Running()) << c.name;
    std::string log = agent.Log();
    EXPECT_NE(log.find("cannot start"), std::string::npos) << c.name << ": " << log;
    EXPECT_NE(log.find(c.expect), std::string::npos) << c.name << ": " << log;
  }
}

// A config file that does not exist yet (an optional Kubernetes Secret not rendered yet) is waited
// for: the agent stays up and unready, says so once, and starts when the file appears.
TEST_F(AgentInputTest, MissingConfigFileIsWaitedForThenLoaded) {
  StartServers();
  AgentProcess agent(dir_, AgentBody(local_->url(), dir_.Join("data"), remote_->url()));
  std::string config = ReadFileOrDie(agent.config_path());
  std::remove(agent.config_path().c_str());
  ASSERT_TRUE(agent.Start(false)) << agent.Log();
  int status = 0;
  std::string body = agent.Admin("/readyz", &status);
  EXPECT_EQ(status, 503) << body;
  EXPECT_NE(body.find("config not loaded"), std::string::npos) << body;
  EXPECT_EQ(agent.WriteV1("db=db", "m v=1i " + std::to_string(BaseNs()) + "\n"), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(agent.Running());

  agent.WriteRawConfig(config);
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    agent.Admin("/readyz", &status);
    ready = status == 200;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(ready) << agent.Log();
  EXPECT_EQ(agent.WriteV1("db=db", "late v=1i " + std::to_string(BaseNs()) + "\n"), 204);
  ASSERT_TRUE(agent.WaitDrained(seconds(30)));
  EXPECT_EQ(remote_->CountPoints("db", "late", "v"), 1);
  std::string log = agent.Log();
  size_t first = log.find("does not exist yet");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("does not exist yet", first + 1), std::string::npos) << log;
  EXPECT_EQ(agent.Stop(), 0);
}

TEST_F(AgentInputTest, ReloadWithBrokenFileKeepsOldConfigThenAppliesFixedOne) {
  StartServers();
  StartAgent();
  std::string good = AgentBody(local_->url(), dir_.Join("data"), remote_->url());
  agent_->RewriteConfig(good + "    maxQueueSizeBytes: 5\n");
  agent_->Signal(SIGHUP);
  std::string metrics;
  for (int i = 0; i < 100; ++i) {
    metrics = agent_->Metrics();
    if (MetricValue(metrics, "edgerepl_config_last_reload_successful") == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(MetricValue(metrics, "edgerepl_config_last_reload_successful"), 0);
  EXPECT_NE(agent_->Log().find("replications[0].maxQueueSizeBytes"), std::string::npos);
  // The old config still runs.
  EXPECT_EQ(agent_->WriteV1("db=db", "m v=1 1\n"), 204);
  ASSERT_TRUE(agent_->WaitDrained(seconds(30)));
  EXPECT_EQ(remote_->CountPoints("db", "m", "v"), 1);

  // A valid change: a second replication of another database.
  remote_->CreateDatabase("db2");
  local_->CreateDatabase("db2");
  agent_->RewriteConfig(good +
                        "  - {id: rep-2, name: r2, remote: remote, localBucket: db2, "
                        "remoteBucket: db2}\n");
  agent_->Signal(SIGHUP);
  std::string status;
  for (int i = 0; i < 100; ++i) {
    status = agent_->Replications();
    if (status.find("\"rep-2\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(status.find("\"rep-2\""), std::string::npos) << status;
  EXPECT_EQ(MetricValue(agent_->Metrics(), "edgerepl_config_last_reload_successful"), 1);
  EXPECT_EQ(agent_->WriteV1("db=db2", "m v=1 1\nm v=2 2\n"), 204);
  ASSERT_TRUE(agent_->WaitDrained(seconds(30)));
  EXPECT_EQ(remote_->CountPoints("db2", "m", "v"), 2);
  EXPECT_EQ(remote_->CountPoints("db", "m", "v"), 1);
}

TEST_F(AgentInputTest, LocalAuthRefusesBadTokenAndNothingIsQueued) {
  InfluxdOptions options;
  options.auth_enabled = true;
  StartServers(options);
  local_->CreateAdmin("admin", "s3cret");
  std::string good = "Basic " + codec::Base64Encode("admin:s3cret");
  ASSERT_FALSE(local_->Query("CREATE DATABASE db", "", good).empty());
  StartAgent();
  std::string resp;
  EXPECT_EQ(agent_->WriteV1("db=db", "m v=1 1\n", &resp,
                            {{"Authorization", "Basic " + codec::Base64Encode("admin:wrong")}}),
            401)
      << resp;
  EXPECT_EQ(agent_->WriteV1("db=db", "m v=1 1\n", &resp), 401) << resp;
  ExpectNothingQueued();
  EXPECT_EQ(agent_->WriteV1("db=db", "m v=1 1\nm v=2 2\n", &resp, {{"Authorization", good}}), 204)
      << resp;
  ASSERT_TRUE(agent_->WaitDrained(seconds(30)));
  EXPECT_EQ(remote_->CountPoints("db", "m", "v"), 2);
  EXPECT_EQ(local_->CountPoints("db", "m", "v", good), 2);
  // Query parameters (u, p) are forwarded too.
  EXPECT_EQ(agent_->WriteV1("db=db&u=admin&p=s3cret", "m v=3 3\n", &resp), 204) << resp;
}

TEST_F(AgentInputTest, MetricsPassPromtoolAndTokensNeverShow) {
  StartServers();
  const std::string remote_token = "tok-DISTINCTIVE-7f3a91";
  const std::string admin_token = "adm-DISTINCTIVE-9c1e44";
  StartAgent("adminToken: \"" + admin_token + "\"\n", "    token: \"" + remote_token + "\"\n");
  EXPECT_EQ(agent_->WriteV1("db=db", "m v=1 1\n"), 204);
  ASSERT_TRUE(agent_->WaitDrained(seconds(30)));
  // Admin calls: refused without the token, accepted with it.
  EXPECT_EQ(
      HttpRequest(agent_->admin_port(), "POST", "/api/v1/replications/rep-1/retry-now", {}, ""),
      401);
  EXPECT_EQ(HttpRequest(agent_->admin_port(), "POST", "/api/v1/replications/rep-1/retry-now",
                        {{"Authorization", "Bearer " + admin_token}}, ""),
            202);
  agent_->Signal(SIGHUP);  // a reload logs about the config
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  std::string metrics = agent_->Metrics();
  std::string status = agent_->Replications();
  std::string influx_shape;
  HttpGetStatus(agent_->write_port(), "/api/v2/replications", &influx_shape);
  EXPECT_NE(influx_shape.find("\"replications\":[{\"id\":\"rep-1\""), std::string::npos)
      << influx_shape;
  for (const std::string& secret : {remote_token, admin_token, std::string("DISTINCTIVE")}) {
    EXPECT_EQ(metrics.find(secret), std::string::npos);
    EXPECT_EQ(status.find(secret), std::string::npos);
    EXPECT_EQ(influx_shape.find(secret), std::string::npos);
    EXPECT_EQ(agent_->Log().find(secret), std::string::npos);
  }
  EXPECT_EQ(MetricValue(metrics, "edgerepl_build_info{version=\"" EDGEREPL_VERSION "\"}"), 1);

  auto promtool = FindExecutable("promtool");
  if (!promtool) GTEST_SKIP() << "promtool not installed";
  WriteFileOrDie(dir_.Join("scrape.txt"), metrics);
  std::string cmd = *promtool + " check metrics < " + dir_.Join("scrape.txt") + " > " +
                    dir_.Join("promtool.out") + " 2>&1";
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << ReadFileOrDie(dir_.Join("promtool.out"));
}

// `influx replication list` sends orgID and, with --name, --remote-id or --local-bucket-id, the
// matching filter; the write port's list honours each one as InfluxDB's handler does.
TEST_F(AgentInputTest, InfluxReplicationListHonoursTheCliFilters) {
  StartServers();
  agent_ = std::make_unique<AgentProcess>(
      dir_, AgentBody(local_->url(), dir_.Join("data"), remote_->url(), "", "",
                      "  - id: rep-2\n    name: r2\n    remote: remote\n    localBucket: other\n"
                      "    localBucketID: 0123456789abcdef\n    localOrg: org2\n"
                      "    remoteBucket: db\n"));
  ASSERT_TRUE(agent_->Start()) << agent_->Log();
  auto ids = [&](const std::string& query) {
    std::string body;
    EXPECT_EQ(HttpGetStatus(agent_->write_port(), "/api/v2/replications" + query, &body), 200);
    std::string out;
    for (size_t at = body.find("{\"id\":\""); at != std::string::npos;
         at = body.find("{\"id\":\"", at + 1)) {
      size_t start = at + 7;
      out += (out.empty() ? "" : ",") + body.substr(start, body.find('"', start) - start);
    }
    return out;
  };
  EXPECT_EQ(ids(""), "rep-1,rep-2");
  EXPECT_EQ(ids("?orgID=org2"), "rep-1,rep-2");  // rep-1 has no localOrg: any org
  EXPECT_EQ(ids("?orgID=org3"), "rep-1");
  EXPECT_EQ(ids("?orgID=org2&name=r2"), "rep-2");
  EXPECT_EQ(ids("?orgID=org2&name=r"), "");  // exact, not a prefix
  EXPECT_EQ(ids("?orgID=org2&remoteID=remote"), "rep-1,rep-2");
  EXPECT_EQ(ids("?orgID=org2&remoteID=elsewhere"), "");
  EXPECT_EQ(ids("?orgID=org2&localBucketID=0123456789abcdef"), "rep-2");
  EXPECT_EQ(ids("?orgID=org2&localBucketID=db"), "rep-1");  // reported as its localBucketID
  EXPECT_EQ(ids("?orgID=org2&name=r1&localBucketID=other"), "");
  EXPECT_EQ(ids("?orgID=org2&name="), "rep-1,rep-2");  // empty: no filter
}

TEST_F(AgentInputTest, OtherPathsAreProxiedUnchanged) {
  StartServers();
  StartAgent();
  std::string body;
  EXPECT_EQ(HttpGetStatus(agent_->write_port(), "/ping", &body), 204);
  EXPECT_EQ(agent_->WriteV1("db=db", "m v=7 7\n"), 204);
  int code = HttpRequest(agent_->write_port(), "GET",
                         "/query?db=db&q=" + UrlEncode("SELECT v FROM m"), {}, "", &body);
  EXPECT_EQ(code, 200);
  EXPECT_NE(body.find("[\"1970-01-01T00:00:00.000000007Z\",7]"), std::string::npos) << body;
  code = HttpRequest(agent_->write_port(), "GET", "/query?q=" + UrlEncode("SELECT nonsense"), {},
                     "", &body);
  EXPECT_EQ(code, 400) << body;
  EXPECT_NE(body.find("error"), std::string::npos) << body;
}

// A big chunked query through the agent: the answer is streamed (chunked, as InfluxDB sends it)
// and identical to the one InfluxDB gives directly.
TEST_F(AgentInputTest, ChunkedQueryIsStreamedUnchanged) {
  StartServers();
  StartAgent();
  std::string body;
  for (int i = 0; i < 50000; ++i) {
    body += "q,host=h" + std::to_string(i % 10) + " v=" + std::to_string(i) + "i " +
            std::to_string(BaseNs() + i) + "\n";
  }
  ASSERT_EQ(agent_->WriteV1("db=db", body), 204);
  std::string target =
      "/query?db=db&chunked=true&chunk_size=2000&q=" + UrlEncode("SELECT v, host FROM q");
  std::string direct, through;
  ASSERT_EQ(HttpRequest(local_->port(), "GET", target, {}, "", &direct), 200);
  ASSERT_EQ(HttpRequest(agent_->write_port(), "GET", target, {}, "", &through), 200);
  EXPECT_GT(direct.size(), 1u << 20);
  // One JSON document per InfluxDB chunk: 25 of them for 50000 rows.
  EXPECT_EQ(std::count(through.begin(), through.end(), '\n'), 25) << through.substr(0, 300);
  EXPECT_EQ(through, direct);
}

// Regression: curl sends "Expect: 100-continue" with bodies over 1 MiB. Forwarded as is, the local
// InfluxDB's interim "100 Continue" was passed back as the final answer and the client hung.
TEST_F(AgentInputTest, LargeBodyWithExpectContinueIsAnsweredOnce) {
  StartServers();
  StartAgent();
  std::string body;
  for (int i = 0; i < 30000; ++i) {
    body += "big,host=h" + std::to_string(i % 10) + " v=" + std::to_string(i) + "i " +
            std::to_string(BaseNs() + i) + "\n";
  }
  ASSERT_GT(body.size(), 1u << 20);
  std::string resp;
  EXPECT_EQ(agent_->WriteV1("db=db", body, &resp, {{"Expect", "100-continue"}}), 204) << resp;
  ASSERT_TRUE(agent_->WaitDrained(seconds(30)));
  EXPECT_EQ(remote_->CountPoints("db", "big", "v"), 30000);
}

}  // namespace
}  // namespace edgerepl::testing

namespace edgerepl::testing {
namespace {

// A full queue (remote down, maxQueueSizeBytes at its minimum) under each queueFullPolicy.
class AgentQueueFullTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AgentQueueFullTest, FullQueueFollowsPolicy) {
  EDGEREPL_REQUIRE_SERVERS();
  const bool reject = GetParam() == "reject";
  Influxd local, remote;
  local.Start();
  local.CreateDatabase("db");
  // The remote never starts: every batch fails and the queue only grows.
  TempDir dir;
  AgentProcess agent(dir, AgentBody(local.url(), dir.Join("data"), remote.url(),
                                    "queueFullPolicy: " + GetParam() + "\n", "",
                                    "    maxQueueSizeBytes: 33554430\n"));
  ASSERT_TRUE(agent.Start()) << agent.Log();
  const std::string pad(1000, 'x');
  long long accepted = 0;
  int refused = 0;
  std::string resp, last_refusal;
  for (int r = 0; r < 60 && refused < 3; ++r) {  // 60 MB offered to a 32 MiB queue
    std::string body;
    for (int i = 0; i < 1000; ++i) {
      body += "full,r=" + std::to_string(r) + " s=\"" + pad + "\" " +
              std::to_string(BaseNs() + int64_t{r} * 1000 + i) + "\n";
    }
    int code = agent.WriteV1("db=db", body, &resp);
    if (code == 204) {
      accepted += 1000;
    } else {
      ASSERT_TRUE(reject) << code << " " << resp;
      EXPECT_EQ(code, 503) << resp;
      last_refusal = resp;
      ++refused;
    }
  }
  std::string status = agent.Replications();
  EXPECT_EQ(JsonStr(status, "state"), "QueueFull") << status;
  if (reject) {
    EXPECT_EQ(refused, 3);
    EXPECT_NE(last_refusal.find("is full"), std::string::npos) << last_refusal;
    // Nothing of a refused write reached the local database either.
    EXPECT_EQ(local.CountPoints("db", "full", "s"), accepted);
  } else {
    EXPECT_EQ(accepted, 60000);
    EXPECT_EQ(local.CountPoints("db", "full", "s"), 60000);
    EXPECT_GT(JsonInt(status, "queue_full"), 0) << status;
    EXPECT_GT(MetricValue(agent.Metrics(),
                          "edgerepl_queue_dropped_points_total{reason=\"queue_full\","
                          "replication=\"r1\"}"),
              0)
        << agent.Metrics();
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, AgentQueueFullTest, ::testing::Values("drop", "reject"));

}  // namespace
}  // namespace edgerepl::testing
