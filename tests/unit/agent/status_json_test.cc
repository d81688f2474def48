#include "agent/admin/status_json.h"

#include "agent/admin/influx_filter.h"

#include <gtest/gtest.h>

#include "agent/admin/json.h"

namespace edgerepl::admin {
namespace {

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

TEST(FilterInfluxReplications, EachFilterMatchesExactly) {
  ReplicationStatus a, b;
  a.id = "a";
  a.name = "edge";
  a.remote = "cloud";
  a.local_bucket = "telegraf";
  b.id = "b";
  b.name = "edge-2";
  b.remote = "dc";
  b.local_bucket = "x";
  b.local_bucket_id = "00000000000000aa";
  b.local_org = "0000000000000001";
  auto ids = [&](std::string_view query) {
    std::string out;
    for (const auto& r : FilterInfluxReplications({a, b}, query)) out += r.id;
    return out;
  };
  EXPECT_EQ(ids(""), "ab");
  EXPECT_EQ(ids("orgID=0000000000000001"), "ab");
  EXPECT_EQ(ids("orgID=0000000000000002"), "a");
  EXPECT_EQ(ids("name=edge"), "a");
  EXPECT_EQ(ids("name=edge%2D2"), "b");  // decoded
  EXPECT_EQ(ids("remoteID=dc"), "b");
  EXPECT_EQ(ids("localBucketID=telegraf"), "a");
  EXPECT_EQ(ids("localBucketID=00000000000000aa"), "b");
  EXPECT_EQ(ids("localBucketID=x"), "b");
  EXPECT_EQ(ids("name=edge&remoteID=dc"), "");
  EXPECT_EQ(ids("remoteID="), "ab");
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
