// The write path in front of a real InfluxDB 1.6.7, where 1.x behaviour matters: partial writes
// (the lines the local stored are replicated, the refused ones counted), retention-policy aliases
// (db, db/<default> and a v2 bucket db/<default> are the same data, the default learned from the
// local), writes that no replication takes (counted, logged once), and 1.x's error shape on /write
// compared with influxd's own answers for the same bodies.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tests/integration/agent/test_env.h"

namespace edgerepl::testing {
namespace {

using std::chrono::seconds;

std::string Ts(int64_t i) {
  return std::to_string(BaseNs() + i * 1000);
}

// Number of times `needle` occurs in `text`.
int Occurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Write requests the influxd has served (its /debug/vars httpd statistics).
long long WriteRequests(const Influxd& influxd) {
  std::string vars;
  HttpGetStatus(influxd.port(), "/debug/vars", &vars);
  return JsonInt(vars, "writeReq");
}

std::string Config(const Influxd& local, const TempDir& dir, const Influxd& remote,
                   const std::string& replications) {
  return "local: {url: \"" + local.url() + "\", timeout: 10s}\ndataDir: \"" + dir.Join("data") +
         "\"\ninstanceID: edge-1\nremotes:\n  - {name: remote, url: \"" + remote.url() +
         "\", protocol: v1, timeout: 5s}\nreplications:\n" + replications;
}

std::string Replication(const std::string& id, const std::string& local_bucket,
                        const std::string& remote_bucket, const std::string& extra = "") {
  return "  - {id: " + id + ", name: " + id + ", remote: remote, localBucket: \"" + local_bucket +
         "\", remoteBucket: \"" + remote_bucket + "\", backoff: {min: 100ms, max: 1s}" + extra +
         "}\n";
}

class AgentInflux1xTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EDGEREPL_REQUIRE_SERVERS();
    local_.Start();
    remote_.Start();
    local_.CreateDatabase("db");
    remote_.CreateDatabase("db");
  }

  void StartAgent(const std::string& replications) {
    agent_ = std::make_unique<AgentProcess>(dir_, Config(local_, dir_, remote_, replications));
    ASSERT_TRUE(agent_->Start()) << agent_->Log();
  }

  double Metric(const std::string& series) { return MetricValue(agent_->Metrics(), series); }

  TempDir dir_;
  Influxd local_;
  Influxd remote_;
  std::unique_ptr<AgentProcess> agent_;
};

TEST_F(AgentInflux1xTest, PartialWriteOfThreeLinesReplicatesTheTwoStoredAndCountsTheRefused) {
  StartAgent(Replication("r1", "db", "db"));
  // A reference influxd with the same schema answers the same body directly.
  Influxd reference;
  reference.Start();
  reference.CreateDatabase("db");
  const std::string setup = "cpu,host=a v=1i " + Ts(0) + "\n";
  ASSERT_EQ(agent_->WriteV1("db=db", setup), 204);
  ASSERT_EQ(reference.Write("db", setup), 204);

  const std::string body = "cpu,host=a v=2i " + Ts(1) + "\ncpu,host=a v=2.5 " + Ts(2) +
                           "\ncpu,host=a v=3i " + Ts(3) + "\n";
  std::string through_agent, direct;
  const int agent_code = agent_->WriteV1("db=db", body, &through_agent);
  const int direct_code = reference.Write("db", body, "n", &direct);
  EXPECT_EQ(direct_code, 400);
  EXPECT_EQ(agent_code, direct_code);
  EXPECT_EQ(through_agent, direct) << "the local's answer is passed back byte for byte";
  EXPECT_NE(direct.find("partial write: field type conflict"), std::string::npos) << direct;

  ASSERT_TRUE(agent_->WaitDrained(seconds(30))) << agent_->Replications();
  EXPECT_EQ(local_.CountPoints("db", "cpu", "v"), 3);
  EXPECT_EQ(remote_.CountPoints("db", "cpu", "v"), 3) << "setup line and the two stored lines";
  std::string rows = remote_.Query("SELECT v, _instance_id FROM cpu ORDER BY time", "db");
  EXPECT_NE(rows.find(",2,\"edge-1\"]"), std::string::npos) << rows;
  EXPECT_NE(rows.find(",3,\"edge-1\"]"), std::string::npos) << rows;
  EXPECT_EQ(Metric("edgerepl_write_refused_points_total{reason=\"field_type_conflict\"}"), 1);
  EXPECT_EQ(Metric("edgerepl_queue_enqueued_points_total{replication=\"r1\"}"), 3);
}

TEST_F(AgentInflux1xTest, ThousandLineBodiesWithScatteredRefusalsReplicateExactlyTheStoredLines) {
  // A second database whose default policy keeps one hour: points from two days ago are outside.
  local_.Query("CREATE DATABASE ret WITH DURATION 1h NAME short");
  remote_.CreateDatabase("ret");
  StartAgent(Replication("r1", "db", "db") + Replication("r2", "ret", "ret"));
  ASSERT_EQ(agent_->WriteV1("db=db", "big v=0i " + Ts(0) + "\n"), 204);

  const std::set<int> conflicts = {0, 137, 500, 501, 873, 999};
  std::string body;
  for (int i = 0; i < 1000; ++i) {
    body += "big,n=" + std::to_string(i) +
            " v=" + (conflicts.count(i) ? std::to_string(i) + ".5" : std::to_string(i) + "i") +
            " " + Ts(10 + i) + "\n";
  }
  const long long writes_before = WriteRequests(local_);
  std::string resp;
  EXPECT_EQ(agent_->WriteV1("db=db", body, &resp), 400);
  EXPECT_NE(resp.find("partial write"), std::string::npos) << resp;
  const long long probes = WriteRequests(local_) - writes_before - 1;
  // 6 refused lines in 1000 (10 halvings): at most 2 writes per level per refused line.
  EXPECT_LE(probes, 2 * 6 * 10) << probes;
  RecordProperty("extra_local_writes_6_conflicts_1000_lines", std::to_string(probes));
  std::cout << "extra local writes for 6 conflicts in 1000 lines: " << probes << "\n";

  const int64_t two_days_ago = BaseNs() - 48LL * 3600 * 1'000'000'000;
  const std::set<int> old = {3, 4, 5, 410, 777, 998};
  std::string ret_body;
  for (int i = 0; i < 1000; ++i) {
    int64_t ts = old.count(i) ? two_days_ago + i : BaseNs() + 3540'000'000'000LL + i;
    ret_body += "keep,n=" + std::to_string(i) + " v=" + std::to_string(i) + "i " +
                std::to_string(ts) + "\n";
  }
  EXPECT_EQ(agent_->WriteV1("db=ret", ret_body, &resp), 400);
  EXPECT_NE(resp.find("beyond retention policy"), std::string::npos) << resp;

  ASSERT_TRUE(agent_->WaitDrained(seconds(60))) << agent_->Replications();
  EXPECT_EQ(local_.CountPoints("db", "big", "v"), 1 + 994);
  EXPECT_EQ(remote_.CountPoints("db", "big", "v"), 1 + 994);
  EXPECT_EQ(local_.CountPoints("ret", "keep", "v"), 994);
  EXPECT_EQ(remote_.CountPoints("ret", "keep", "v"), 994);
  // Point by point: the same rows on both sides.
  const std::string q = "SELECT v FROM big GROUP BY n";
  EXPECT_EQ(local_.Query(q, "db"), remote_.Query(q, "db"));
  EXPECT_EQ(Metric("edgerepl_write_refused_points_total{reason=\"field_type_conflict\"}"), 6);
  EXPECT_EQ(Metric("edgerepl_write_refused_points_total{reason=\"retention_policy\"}"), 6);
  EXPECT_EQ(Metric("edgerepl_queue_enqueued_points_total{replication=\"r1\"}"), 1 + 994);
  EXPECT_EQ(Metric("edgerepl_queue_enqueued_points_total{replication=\"r2\"}"), 994);
  EXPECT_EQ(Metric("edgerepl_write_points_total"), 1 + 994 + 994);
}

TEST_F(AgentInflux1xTest, DefaultRetentionPolicyUnderEveryNameIsReplicatedOnceWithInstanceId) {
  StartAgent(Replication("r1", "db", "db"));
  auto v2 = [&](const std::string& bucket, const std::string& line) {
    std::string resp;
    int code = HttpRequest(agent_->write_port(), "POST", "/api/v2/write?org=o&bucket=" + bucket,
                           {{"Authorization", "Token "}}, line, &resp);
    EXPECT_EQ(code, 204) << bucket << " " << resp;
  };
  EXPECT_EQ(agent_->WriteV1("db=db", "alias,form=plain v=1 " + Ts(1)), 204);
  EXPECT_EQ(agent_->WriteV1("db=db&rp=autogen", "alias,form=rp v=2 " + Ts(2)), 204);
  v2("db%2Fautogen", "alias,form=v2rp v=3 " + Ts(3));
  v2("db", "alias,form=v2 v=4 " + Ts(4));
  ASSERT_TRUE(agent_->WaitDrained(seconds(30))) << agent_->Replications();
  EXPECT_EQ(local_.CountPoints("db", "alias", "v"), 4);
  EXPECT_EQ(remote_.CountPoints("db", "alias", "v"), 4);
  EXPECT_EQ(Metric("edgerepl_queue_enqueued_points_total{replication=\"r1\"}"), 4) << "each once";
  std::string tagged =
      remote_.Query("SELECT count(v) FROM alias WHERE _instance_id = 'edge-1'", "db");
  EXPECT_NE(tagged.find(",4]"), std::string::npos) << tagged;
  // The local copy carries the tag too (it is added before the local write).
  tagged = local_.Query("SELECT count(v) FROM alias WHERE _instance_id = 'edge-1'", "db");
  EXPECT_NE(tagged.find(",4]"), std::string::npos) << tagged;
}

TEST_F(AgentInflux1xTest, AChangedDefaultRetentionPolicyIsNoticedAndTheOldOneCountedAsAGap) {
  StartAgent(Replication("r1", "db", "db"));
  EXPECT_EQ(agent_->WriteV1("db=db&rp=autogen", "chg,step=1 v=1 " + Ts(1)), 204);
  // The default becomes another policy; a write naming it is recognised as the default at once.
  local_.Query("CREATE RETENTION POLICY weekly ON db DURATION 7d REPLICATION 1 DEFAULT");
  EXPECT_EQ(agent_->WriteV1("db=db&rp=weekly", "chg,step=2 v=2 " + Ts(2)), 204);
  EXPECT_EQ(agent_->WriteV1("db=db", "chg,step=3 v=3 " + Ts(3)), 204);
  // autogen is no longer the default: stored locally, taken by no replication, counted.
  EXPECT_EQ(agent_->WriteV1("db=db&rp=autogen", "chg,step=4 v=4 " + Ts(4)), 204);
  EXPECT_EQ(agent_->WriteV1("db=db&rp=autogen", "chg,step=5 v=5 " + Ts(5)), 204);
  ASSERT_TRUE(agent_->WaitDrained(seconds(30))) << agent_->Replications();
  EXPECT_EQ(remote_.CountPoints("db", "chg", "v"), 3);
  EXPECT_EQ(Metric("edgerepl_queue_enqueued_points_total{replication=\"r1\"}"), 3);
  EXPECT_EQ(
      Metric("edgerepl_write_unreplicated_points_total{bucket=\"db/autogen\",reason=\"retention_"
             "policy\"}"),
      2);
  EXPECT_EQ(Occurrences(agent_->Log(), "bucket \"db/autogen\": "), 1) << agent_->Log();
  EXPECT_NE(agent_->Log().find("default retention policy is now \"weekly\""), std::string::npos)
      << agent_->Log();
}

TEST_F(AgentInflux1xTest, PointsEveryFilterLeavesOutAreCountedByBucketAndLoggedOnce) {
  StartAgent(Replication("r1", "db", "db", ", measurements: [cpu]"));
  EXPECT_EQ(agent_->WriteV1("db=db", "cpu v=1 " + Ts(1) + "\nmem v=1 " + Ts(2)), 204);
  EXPECT_EQ(agent_->WriteV1("db=db", "mem v=2 " + Ts(3) + "\nmem v=3 " + Ts(4)), 204);
  // Another database, covered by no replication: not a gap of any replication.
  local_.CreateDatabase("other");
  EXPECT_EQ(agent_->WriteV1("db=other", "mem v=2 " + Ts(3)), 204);
  ASSERT_TRUE(agent_->WaitDrained(seconds(30))) << agent_->Replications();
  EXPECT_EQ(remote_.CountPoints("db", "cpu", "v"), 1);
  EXPECT_EQ(remote_.CountPoints("db", "mem", "v"), 0);
  std::string metrics = agent_->Metrics();
  EXPECT_EQ(MetricValue(metrics,
                        "edgerepl_write_unreplicated_points_total{bucket=\"db/autogen\","
                        "reason=\"measurement_filter\"}"),
            3)
      << metrics;
  EXPECT_EQ(metrics.find("bucket=\"other"), std::string::npos) << metrics;
  EXPECT_EQ(Occurrences(agent_->Log(), "bucket \"db/autogen\": "), 1) << agent_->Log();
}

// For each bad body, the agent's answer on /write and influxd 1.6.7's own answer: same status,
// same JSON shape ({"error":"…"}). Where the agent's parser refuses, the text may differ.
TEST_F(AgentInflux1xTest, ErrorsOnWriteHaveInfluxd1xShapeAndStatus) {
  StartAgent(Replication("r1", "db", "db"));
  Influxd reference;
  reference.Start();
  reference.CreateDatabase("db");
  const std::vector<std::string> bodies = {
      "m v= 1\n",
      "m\n",
      "m v=1 notatime\n",
      "m v=\"open\n",
      ",t=1 v=1 1\n",
      "m,t v=1\n",
      "m v=1 1\nm v= 2\n",
      "m v=1i,v=tru 1\n",
      "m v=99999999999999999999i 1\n",
  };
  for (const std::string& body : bodies) {
    std::string mine, theirs;
    int my_code = agent_->WriteV1("db=db", body, &mine);
    int their_code = reference.Write("db", body, "n", &theirs);
    EXPECT_EQ(my_code, their_code) << body << "\nagent: " << mine << "\ninfluxd: " << theirs;
    EXPECT_EQ(mine.rfind("{\"error\":\"", 0), 0u) << body << " agent: " << mine;
    EXPECT_EQ(theirs.rfind("{\"error\":\"", 0), 0u) << body << " influxd: " << theirs;
    EXPECT_EQ(mine.find("\"code\""), std::string::npos) << mine;
    EXPECT_EQ(mine.back(), '\n') << "influxd ends its error body with a newline";
  }
  // Refused by the local itself: influxd's answer, byte for byte.
  std::string mine, theirs;
  EXPECT_EQ(agent_->WriteV1("db=nosuch", "m v=1 1\n", &mine),
            reference.Write("nosuch", "m v=1 1\n", "n", &theirs));
  EXPECT_EQ(mine, theirs);
  // The v2 endpoint keeps 2.x's shape.
  int code = HttpRequest(agent_->write_port(), "POST", "/api/v2/write?org=o&bucket=db", {},
                         "m v= 1\n", &mine);
  EXPECT_EQ(code, 400);
  EXPECT_EQ(mine.rfind("{\"code\":\"invalid\",\"message\":\"unable to parse", 0), 0u) << mine;
  EXPECT_EQ(local_.CountPoints("db", "m", "v"), 0);
}

}  // namespace
}  // namespace edgerepl::testing
