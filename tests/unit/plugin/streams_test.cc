#include "plugin/streams.h"

#include <gtest/gtest.h>

#include <cpprest/json.h>

#include "agent/admin/status_json.h"

namespace edgerepl::plugin {
namespace {

std::string AgentDocument() {
  admin::ReplicationStatus a;
  a.id = "0f5e3a10-6c1d-4d0e-9a55-3f2b1c0d9e8f";
  a.name = "edge-to-cloud";
  a.remote = "cloud";
  a.local_bucket = "telegraf";
  a.local_org = "edge";
  a.remote_bucket = "edge";
  a.max_queue_size_bytes = 67108860;
  a.current_queue_size_bytes = 1234;
  a.latest_response_code = 204;
  a.oldest_pending_age_seconds = 200.7;
  a.state = sender::State::kReplicating;
  a.backfill = admin::BackfillStatus{1767225600000000000,
                                     1767312000000000000,
                                     1767268800000000000,
                                     1200,
                                     30,
                                     50000,
                                     "Reading",
                                     "admin",
                                     ""};
  admin::ReplicationStatus b;
  b.id = "r-2";
  b.name = "v1-backup";
  b.remote = "onprem";
  b.local_bucket = "telegraf/autogen";
  b.remote_bucket_id = "a1b2c3";
  b.max_queue_size_bytes = 33554430;
  b.latest_response_code = 401;
  b.state = sender::State::kUnauthorized;
  return admin::ReplicationsJson("0.1.0", "hash", {a, b});
}

TEST(ParseAgentStatus, ReadsTheAgentsOwnDocument) {
  Result<std::vector<StreamRow>> rows = ParseAgentStatus(AgentDocument(), "influx", "db-0");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  const StreamRow& a = (*rows)[0];
  EXPECT_EQ(a.namespace_, "influx");
  EXPECT_EQ(a.pod, "db-0");
  EXPECT_EQ(a.id, "0f5e3a10-6c1d-4d0e-9a55-3f2b1c0d9e8f");
  EXPECT_EQ(a.org, "edge");
  EXPECT_EQ(a.remote, "cloud");
  EXPECT_EQ(a.current_queue_bytes, 1234u);
  EXPECT_EQ(a.max_queue_bytes, 67108860u);
  EXPECT_EQ(a.latest_status_code, 204);
  EXPECT_EQ(a.state, "Replicating");
  EXPECT_DOUBLE_EQ(a.lag_seconds, 200.7);
  EXPECT_EQ((*rows)[1].remote_bucket, "a1b2c3");  // the ID when there is no name
  EXPECT_EQ((*rows)[1].state, "Unauthorized");
}

TEST(ParseAgentStatus, ErrorsNameTheField) {
  EXPECT_NE(ParseAgentStatus("nope", "n", "p").status().message().find("not JSON"),
            std::string::npos);
  EXPECT_NE(ParseAgentStatus("{}", "n", "p").status().message().find("replications"),
            std::string::npos);
  EXPECT_NE(ParseAgentStatus(R"({"replications":[{"name":"x"}]})", "n", "p")
                .status()
                .message()
                .find("replications[0].id"),
            std::string::npos);
}

TEST(FormatLag, AsKubectlPrintsAges) {
  EXPECT_EQ(FormatLag(0), "0s");
  EXPECT_EQ(FormatLag(-3), "0s");
  EXPECT_EQ(FormatLag(45.9), "45s");
  EXPECT_EQ(FormatLag(60), "1m");
  EXPECT_EQ(FormatLag(200.7), "3m20s");
  EXPECT_EQ(FormatLag(3600 * 5 + 120), "5h2m");
  EXPECT_EQ(FormatLag(86400 * 3 + 3600 * 4 + 5), "3d4h");
}

TEST(FormatTable, InfluxReplicationListColumnsPlusStateAndLagAligned) {
  auto rows = ParseAgentStatus(AgentDocument(), "influx", "db-0");
  ASSERT_TRUE(rows.ok());
  std::string table = FormatTable(*rows, false);
  const std::string expected =
      "POD    ID                                     NAME            ORG    REMOTE   LOCAL BUCKET  "
      "     REMOTE BUCKET   CURRENT QUEUE BYTES   MAX QUEUE BYTES   LATEST STATUS CODE   STATE     "
      "     LAG\n"
      "db-0   0f5e3a10-6c1d-4d0e-9a55-3f2b1c0d9e8f   edge-to-cloud   edge   cloud    telegraf      "
      "     edge            1234                  67108860          204                  "
      "Replicating  "
      "  3m20s\n"
      "db-0   r-2                                    v1-backup       -      onprem   telegraf/autog"
      "en   a1b2c3          0                     33554430          401                  "
      "Unauthorized"
      "   0s\n";
  EXPECT_EQ(table, expected);
  std::string wide = FormatTable(*rows, true);
  EXPECT_EQ(wide.rfind("NAMESPACE   POD", 0), 0u);
  EXPECT_NE(wide.find("\ninflux      db-0"), std::string::npos);
}

TEST(FormatJson, StreamsAndErrorsWithTheAgentsFieldNames) {
  auto rows = ParseAgentStatus(AgentDocument(), "influx", "db-0");
  ASSERT_TRUE(rows.ok());
  auto doc = web::json::value::parse(
      FormatJson(*rows, {PodError{"influx", "db-1", "GET /api/v1/replications answered 503"}}));
  ASSERT_EQ(doc.at("streams").size(), 2u);
  const auto& s = doc.at("streams").at(0);
  EXPECT_EQ(s.at("pod").as_string(), "db-0");
  EXPECT_EQ(s.at("currentQueueSizeBytes").as_integer(), 1234);
  EXPECT_EQ(s.at("latestResponseCode").as_integer(), 204);
  EXPECT_EQ(s.at("state").as_string(), "Replicating");
  EXPECT_DOUBLE_EQ(s.at("oldestPendingAgeSeconds").as_double(), 200.7);
  // The agent's backfill object is passed on; a stream without one has none.
  EXPECT_EQ(s.at("backfill").at("doneUntil").as_string(), "2026-01-01T12:00:00Z");
  EXPECT_EQ(s.at("backfill").at("points").as_integer(), 1200);
  EXPECT_EQ(s.at("backfill").at("state").as_string(), "Reading");
  EXPECT_FALSE(doc.at("streams").at(1).has_field("backfill"));
  ASSERT_EQ(doc.at("errors").size(), 1u);
  EXPECT_EQ(doc.at("errors").at(0).at("pod").as_string(), "db-1");
}

}  // namespace
}  // namespace edgerepl::plugin
