#include "agent/admin/status_json.h"

#include <gtest/gtest.h>

#include "agent/admin/json.h"

namespace edgerepl::admin {
namespace {

TEST(JsonString, EscapesControlAndQuotes) {
  EXPECT_EQ(JsonString("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
}

TEST(Rfc3339, UtcWithMilliseconds) {
  auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764078092123));
  EXPECT_EQ(Rfc3339(t), "2025-11-25T13:41:32.123Z");
}

TEST(InfluxReplicationsJson, InfluxShape) {
  ReplicationStatus r;
  r.id = "0f5e";
  r.name = "edge";
  r.remote = "cloud";
  r.local_bucket = "telegraf";
  r.local_bucket_id = "bid";
  r.remote_bucket_id = "rbid";
  r.max_queue_size_bytes = 100;
  r.current_queue_size_bytes = 50;
  r.max_age_seconds = 604800;
  std::string json = InfluxReplicationsJson({r});
  EXPECT_EQ(json.rfind("{\"replications\":[{\"id\":\"0f5e\"", 0), 0u) << json;
  for (const char* f : {"\"remoteID\":\"cloud\"", "\"localBucketID\":\"bid\"",
                        "\"remoteBucketID\":\"rbid\"", "\"maxQueueSizeBytes\":100",
                        "\"currentQueueSizeBytes\":50", "\"remainingBytesToBeSynced\":50",
                        "\"dropNonRetryableData\":false", "\"maxAgeSeconds\":604800"}) {
    EXPECT_NE(json.find(f), std::string::npos) << f;
  }
  // As InfluxDB: no latestResponseCode before the first answer.
  EXPECT_EQ(json.find("latestResponseCode"), std::string::npos);
  r.latest_response_code = 204;
  EXPECT_NE(InfluxReplicationsJson({r}).find("\"latestResponseCode\":204"), std::string::npos);
}

TEST(ReplicationsJson, LastSuccessTimeAndEmptyList) {
  EXPECT_EQ(ReplicationsJson("1", "h", {}),
            "{\"version\":\"1\",\"configHash\":\"h\",\"replications\":[]}");
  ReplicationStatus r;
  r.last_success_time = std::chrono::system_clock::time_point(std::chrono::seconds(60));
  EXPECT_NE(ReplicationJson(r).find("\"lastSuccessTime\":\"1970-01-01T00:01:00.000Z\""),
            std::string::npos);
}

}  // namespace
}  // namespace edgerepl::admin
