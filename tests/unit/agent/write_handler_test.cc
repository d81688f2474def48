#include "agent/frontdoor/write_handler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>

#include "agent/frontdoor/local_info.h"
#include "common/codec/gzip.h"
#include "tests/fakes/fake_clock.h"

namespace edgerepl::frontdoor {
namespace {

using ::edgerepl::testing::FakeClock;

constexpr int64_t kNowNs = 1'700'000'000'123'456'789;

class FakeLocal final : public http::HttpClient {
 public:
  Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (clock != nullptr) clock->AdvanceSteady(std::chrono::microseconds(answer_us));
    requests.push_back(request);
    if (!reachable) return Status::Unavailable("connection refused");
    if (respond) return respond(request);
    http::HttpResponse r;
    r.status = status;
    r.body = body;
    r.headers = headers;
    return r;
  }
  std::mutex mu_;
  FakeClock* clock = nullptr;
  int64_t answer_us = 0;
  std::vector<http::HttpRequest> requests;
  bool reachable = true;
  int status = 204;
  std::string body;
  http::Headers headers;
  // When set, answers every request (instead of status/body/headers).
  std::function<http::HttpResponse(const http::HttpRequest&)> respond;
};

class FakeTarget final : public WriteTarget {
 public:
  explicit FakeTarget(config::ReplicationConfig r) : r_(std::move(r)) {}
  const config::ReplicationConfig& replication() const override { return r_; }
  bool HasRoomFor(uint64_t bytes) const override { return bytes <= room; }
  Status Append(std::string_view payload, uint32_t points) override {
    if (clock != nullptr) clock->AdvanceSteady(std::chrono::microseconds(append_us));
    if (append_status.ok()) {
      if (payload.size() > room) return Status::NoSpace("full");
      appended.emplace_back(payload);
      appended_points += points;
    }
    return append_status;
  }
  void CountDropped(uint64_t points, uint64_t, std::string_view reason) override {
    dropped[std::string(reason)] += points;
  }
  void CountDelete(std::string_view result) override { deletes[std::string(result)]++; }

  config::ReplicationConfig r_;
  FakeClock* clock = nullptr;
  int64_t append_us = 0;
  uint64_t room = 1 << 30;
  Status append_status;
  std::vector<std::string> appended;
  uint64_t appended_points = 0;
  std::map<std::string, uint64_t> dropped;
  std::map<std::string, uint64_t> deletes;
};

config::ReplicationConfig Replication(std::string bucket) {
  config::ReplicationConfig r;
  r.id = "id-" + bucket;
  r.name = "rep-" + bucket;
  r.local_bucket = std::move(bucket);
  return r;
}

class WriteHandlerTest : public ::testing::Test {
 protected:
  WriteHandlerTest()
      : metrics_(registry_), handler_([this] { return routing_; }, clock_, metrics_) {
    routing_ = std::make_shared<Routing>();
    routing_->local = local_;
  }

  FakeTarget* AddTarget(config::ReplicationConfig r) {
    auto t = std::make_shared<FakeTarget>(std::move(r));
    routing_->targets.push_back(t);
    return t.get();
  }

  httpserver::Response Post(std::string path, std::string query, std::string body,
                            http::Headers headers = {}) {
    httpserver::Request r;
    r.method = "POST";
    r.path = std::move(path);
    r.query = std::move(query);
    r.body = std::move(body);
    r.headers = std::move(headers);
    return handler_.Handle(r);
  }

  prometheus::Registry registry_;
  // The wall stays at kNowNs; monotonic time moves only by what the fakes add, so durations are
  // exact.
  FakeClock clock_{std::chrono::nanoseconds(kNowNs), std::chrono::steady_clock::duration::zero()};
  WriteMetrics metrics_;
  std::shared_ptr<FakeLocal> local_ = std::make_shared<FakeLocal>();
  std::shared_ptr<Routing> routing_;
  WriteHandler handler_;
};

TEST_F(WriteHandlerTest, V2WriteIsNormalizedForwardedThenQueued) {
  FakeTarget* t = AddTarget(Replication("telegraf"));
  auto r = Post("/api/v2/write", "org=o&bucket=telegraf&precision=s",
                "cpu,host=a v=1 1700000000\nmem v=2\n", {{"Authorization", "Token local-tok"}});
  EXPECT_EQ(r.status, 204);
  ASSERT_EQ(local_->requests.size(), 1u);
  const auto& fwd = local_->requests[0];
  EXPECT_EQ(fwd.target, "/api/v2/write?org=o&bucket=telegraf");
  EXPECT_EQ(fwd.body, "cpu,host=a v=1 1700000000000000000\nmem v=2 1700000000000000000\n");
  ASSERT_NE(http::FindHeader(fwd.headers, "authorization"), nullptr);
  EXPECT_EQ(*http::FindHeader(fwd.headers, "authorization"), "Token local-tok");
  ASSERT_EQ(t->appended.size(), 1u);
  EXPECT_EQ(t->appended[0], fwd.body);
  EXPECT_EQ(t->appended_points, 2u);
}

TEST_F(WriteHandlerTest, MissingTimestampGetsReceiveTimeInNanoseconds) {
  FakeTarget* t = AddTarget(Replication("db"));
  EXPECT_EQ(Post("/write", "db=db", "m v=1\n").status, 204);
  ASSERT_EQ(t->appended.size(), 1u);
  EXPECT_EQ(t->appended[0], "m v=1 " + std::to_string(kNowNs) + "\n");
}

TEST_F(WriteHandlerTest, InvalidLineIs400AndNothingForwardedOrQueued) {
  FakeTarget* t = AddTarget(Replication("telegraf"));
  auto r = Post("/api/v2/write", "bucket=telegraf", "m v=1 1\nm v=\"unterminated 2\nm v=3 3\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.rfind("{\"code\":\"invalid\"", 0), 0u) << r.body;
  EXPECT_NE(r.body.find("line 2"), std::string::npos) << r.body;
  EXPECT_TRUE(local_->requests.empty());
  EXPECT_TRUE(t->appended.empty());
}

TEST_F(WriteHandlerTest, BadPrecisionIs400) {
  EXPECT_EQ(Post("/api/v2/write", "bucket=b&precision=h", "m v=1 1\n").status, 400);
  EXPECT_EQ(Post("/write", "db=b&precision=h", "m v=1 1\n").status, 204);
}

TEST_F(WriteHandlerTest, LocalErrorIsPassedBackAndNothingQueued) {
  FakeTarget* t = AddTarget(Replication("telegraf"));
  local_->status = 401;
  local_->body = "{\"code\":\"unauthorized\",\"message\":\"unauthorized access\"}";
  auto r = Post("/api/v2/write", "bucket=telegraf", "m v=1 1\n");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, local_->body);
  EXPECT_TRUE(t->appended.empty());
}

TEST_F(WriteHandlerTest, LocalUnreachableIs502AndNothingQueued) {
  FakeTarget* t = AddTarget(Replication("telegraf"));
  local_->reachable = false;
  EXPECT_EQ(Post("/api/v2/write", "bucket=telegraf", "m v=1 1\n").status, 502);
  EXPECT_TRUE(t->appended.empty());
}

TEST_F(WriteHandlerTest, GzipBodyIsInflated) {
  FakeTarget* t = AddTarget(Replication("telegraf"));
  auto gz = codec::GzipCompress("m v=1 1\n").value();
  auto r = Post("/api/v2/write", "bucket=telegraf", gz, {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 204);
  ASSERT_EQ(t->appended.size(), 1u);
  EXPECT_EQ(t->appended[0], "m v=1 1\n");
  EXPECT_EQ(http::FindHeader(local_->requests[0].headers, "content-encoding"), nullptr);
}

TEST_F(WriteHandlerTest, GzipBombIs413) {
  routing_->max_body_bytes = 1 << 20;
  std::string big(8 << 20, 'a');
  auto gz = codec::GzipCompress(big).value();
  ASSERT_LT(gz.size(), 100000u);
  auto r = Post("/api/v2/write", "bucket=b", gz, {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(local_->requests.empty());
}

TEST_F(WriteHandlerTest, CorruptGzipIs400) {
  EXPECT_EQ(Post("/api/v2/write", "bucket=b", "not gzip", {{"Content-Encoding", "gzip"}}).status,
            400);
}

TEST_F(WriteHandlerTest, UnknownEncodingIs415) {
  auto r = Post("/api/v2/write", "bucket=b", "m v=1 1\n", {{"Content-Encoding", "br"}});
  EXPECT_EQ(r.status, 415);
  EXPECT_NE(r.body.find("\"code\":\"unsupported media type\""), std::string::npos);
  EXPECT_TRUE(local_->requests.empty());
}

TEST_F(WriteHandlerTest, OversizeBodyIs413) {
  routing_->max_body_bytes = 10;
  EXPECT_EQ(Post("/write", "db=b", "m v=1 1234567890\n").status, 413);
  EXPECT_TRUE(local_->requests.empty());
}

TEST_F(WriteHandlerTest, MatchesV2ByNameOrIdAndOrg) {
  auto r1 = Replication("telegraf");
  r1.local_bucket_id = "0123abcd";
  r1.local_org = "acme";
  FakeTarget* t = AddTarget(r1);
  EXPECT_EQ(Post("/api/v2/write", "org=acme&bucket=0123abcd", "m v=1 1\n").status, 204);
  EXPECT_EQ(Post("/api/v2/write", "org=acme&bucket=telegraf", "m v=1 2\n").status, 204);
  EXPECT_EQ(Post("/api/v2/write", "org=other&bucket=telegraf", "m v=1 3\n").status, 204);
  EXPECT_EQ(Post("/api/v2/write", "org=acme&bucket=else", "m v=1 4\n").status, 204);
  EXPECT_EQ(t->appended.size(), 2u);
}

TEST_F(WriteHandlerTest, MatchesV1ByDbOrDbSlashRp) {
  FakeTarget* plain = AddTarget(Replication("db"));
  FakeTarget* with_rp = AddTarget(Replication("db/week"));
  EXPECT_EQ(Post("/write", "db=db", "m v=1 1\n").status, 204);
  EXPECT_EQ(Post("/write", "db=db&rp=week", "m v=1 2\n").status, 204);
  EXPECT_EQ(plain->appended.size(), 1u);
  EXPECT_EQ(with_rp->appended.size(), 1u);
  EXPECT_EQ(local_->requests[1].target, "/write?db=db&rp=week");
}

TEST_F(WriteHandlerTest, MeasurementFilter) {
  auto r = Replication("db");
  r.measurements = {"cpu"};
  FakeTarget* t = AddTarget(r);
  EXPECT_EQ(Post("/write", "db=db", "cpu v=1 1\nmem v=1 1\ncpu v=2 2\n").status, 204);
  ASSERT_EQ(t->appended.size(), 1u);
  EXPECT_EQ(t->appended[0], "cpu v=1 1\ncpu v=2 2\n");
  EXPECT_EQ(t->appended_points, 2u);
  EXPECT_EQ(Post("/write", "db=db", "mem v=1 1\n").status, 204);
  EXPECT_EQ(t->appended.size(), 1u);
}

TEST_F(WriteHandlerTest, InstanceIdTagOnlyForReplicatedBuckets) {
  routing_->instance_id = "edge-7";
  FakeTarget* t = AddTarget(Replication("db"));
  EXPECT_EQ(Post("/write", "db=db", "m,host=a v=1 1\n").status, 204);
  EXPECT_EQ(Post("/write", "db=other", "m,host=a v=1 1\n").status, 204);
  ASSERT_EQ(t->appended.size(), 1u);
  EXPECT_EQ(t->appended[0], "m,_instance_id=edge-7,host=a v=1 1\n");
  EXPECT_EQ(local_->requests[0].body, t->appended[0]);
  EXPECT_EQ(local_->requests[1].body, "m,host=a v=1 1\n");
}

TEST_F(WriteHandlerTest, FullQueueDropPolicyAnswers204AndCounts) {
  FakeTarget* t = AddTarget(Replication("db"));
  t->room = 0;
  EXPECT_EQ(Post("/write", "db=db", "m v=1 1\nm v=2 2\n").status, 204);
  EXPECT_EQ(local_->requests.size(), 1u);
  EXPECT_EQ(t->dropped["queue_full"], 2u);
}

TEST_F(WriteHandlerTest, FullQueueRejectPolicyIs503AndNothingWritten) {
  routing_->queue_full_policy = config::QueueFullPolicy::kReject;
  FakeTarget* t = AddTarget(Replication("db"));
  t->room = 0;
  auto r = Post("/write", "db=db", "m v=1 1\n");
  EXPECT_EQ(r.status, 503);
  ASSERT_NE(http::FindHeader(r.headers, "retry-after"), nullptr);
  // v1 /write answers in 1.x's shape.
  EXPECT_EQ(r.body.rfind("{\"error\":\"replication queue of", 0), 0u) << r.body;
  EXPECT_TRUE(local_->requests.empty());
  EXPECT_TRUE(t->appended.empty());
}

TEST_F(WriteHandlerTest, QueueIoErrorIs503SoTheClientRetries) {
  FakeTarget* t = AddTarget(Replication("db"));
  t->append_status = Status::FromErrno(EIO, "write segment");
  EXPECT_EQ(Post("/write", "db=db", "m v=1 1\n").status, 503);
}

TEST_F(WriteHandlerTest, RemovedReplicationIsSkippedQuietly) {
  FakeTarget* t = AddTarget(Replication("db"));
  t->append_status = Status::Aborted("replication closed");
  EXPECT_EQ(Post("/write", "db=db", "m v=1 1\n").status, 204);
}

TEST_F(WriteHandlerTest, MetricsCountRequestsByApiAndCode) {
  AddTarget(Replication("db"));
  Post("/write", "db=db", "m v=1 1\n");
  Post("/write", "db=db", "bad line\n");
  Post("/api/v2/write", "bucket=db", "m v=1 1\nm v=1 2\n");
  std::map<std::string, double> seen;
  for (const auto& family : registry_.Collect()) {
    for (const auto& m : family.metric) {
      std::string key = family.name;
      for (const auto& l : m.label) key += "," + l.name + "=" + l.value;
      seen[key] = family.type == prometheus::MetricType::Counter ? m.counter.value : 0;
    }
  }
  EXPECT_EQ((seen["edgerepl_write_requests_total,api=v1,code=204"]), 1);
  EXPECT_EQ((seen["edgerepl_write_requests_total,api=v1,code=400"]), 1);
  EXPECT_EQ((seen["edgerepl_write_requests_total,api=v2,code=204"]), 1);
  EXPECT_EQ(seen["edgerepl_write_points_total"], 3);
}

// The added-latency histogram holds what a successful write spent besides the local answer, and
// only successful writes: a refused one did not reach the local InfluxDB or the queue.
TEST_F(WriteHandlerTest, AddedDurationIsTheWriteLessTheLocalAnswer) {
  FakeTarget* t = AddTarget(Replication("db"));
  local_->clock = &clock_;
  local_->answer_us = 30'000;
  t->clock = &clock_;
  t->append_us = 1'400;
  ASSERT_EQ(Post("/write", "db=db", "m v=1 1\n").status, 204);
  ASSERT_EQ(Post("/write", "db=db", "bad line\n").status, 400);
  local_->status = 500;
  ASSERT_EQ(Post("/write", "db=db", "m v=1 2\n").status, 500);
  const prometheus::ClientMetric* added = nullptr;
  const prometheus::ClientMetric* local = nullptr;
  auto families = registry_.Collect();
  for (const auto& family : families) {
    if (family.name == "edgerepl_write_added_duration_seconds") added = &family.metric.at(0);
    if (family.name == "edgerepl_local_write_duration_seconds") local = &family.metric.at(0);
  }
  ASSERT_NE(added, nullptr);
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(added->histogram.sample_count, 1u);
  EXPECT_NEAR(added->histogram.sample_sum, 0.0014, 1e-9);
  EXPECT_EQ(local->histogram.sample_count, 2u);  // the 500 was a local write too
  for (const auto& bucket : added->histogram.bucket) {
    EXPECT_EQ(bucket.cumulative_count, bucket.upper_bound >= 0.0015 ? 1u : 0u)
        << "le=" << bucket.upper_bound;
  }
}

TEST(WithoutPrecision, RemovesOnlyPrecision) {
  EXPECT_EQ(WithoutPrecision("db=a&precision=s&rp=b"), "db=a&rp=b");
  EXPECT_EQ(WithoutPrecision("precision=ms"), "");
  EXPECT_EQ(WithoutPrecision("org=x"), "org=x");
}

TEST_F(WriteHandlerTest, PartialWriteQueuesTheStoredLinesAndPassesTheAnswerOn) {
  FakeTarget* t = AddTarget(Replication("db"));
  const std::string partial =
      "{\"error\":\"partial write: field type conflict: input field \\\"v\\\" on measurement "
      "\\\"m\\\" is type float, already exists as type integer dropped=1\"}\n";
  local_->respond = [&](const http::HttpRequest& req) {
    http::HttpResponse r;
    r.status = req.body.find("v=2.5") == std::string::npos ? 204 : 400;
    if (r.status == 400) r.body = partial;
    return r;
  };
  auto r = Post("/write", "db=db", "m v=1i 1\nm v=2.5 2\nm v=3i 3\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, partial) << "the local's answer, unchanged";
  ASSERT_EQ(t->appended.size(), 1u);
  EXPECT_EQ(t->appended[0], "m v=1i 1\nm v=3i 3\n");
  EXPECT_EQ(t->appended_points, 2u);
  EXPECT_GT(local_->requests.size(), 1u) << "parts were written again";
  for (const auto& req : local_->requests) EXPECT_EQ(req.target, "/write?db=db");
}

TEST_F(WriteHandlerTest, V1ErrorsHave1xShapeV2Errors2xShape) {
  auto v1 = Post("/write", "db=db", "m v=\n");
  EXPECT_EQ(v1.status, 400);
  EXPECT_EQ(v1.body.rfind("{\"error\":\"unable to parse 'm v=': line 1: ", 0), 0u) << v1.body;
  ASSERT_NE(http::FindHeader(v1.headers, "X-Influxdb-Error"), nullptr);
  auto v2 = Post("/api/v2/write", "bucket=b", "m v=\n");
  EXPECT_EQ(v2.status, 400);
  EXPECT_EQ(v2.body.rfind("{\"code\":\"invalid\",\"message\":\"unable to parse", 0), 0u) << v2.body;
  local_->reachable = false;
  auto down = Post("/write", "db=db", "m v=1 1\n");
  EXPECT_EQ(down.status, 502);
  EXPECT_EQ(down.body.rfind("{\"error\":\"local InfluxDB gave no answer", 0), 0u) << down.body;
}

TEST_F(WriteHandlerTest, V2WriteToA1xWithoutV2EndpointIsWrittenAsV1AndMatchesTheDefaultRp) {
  FakeTarget* t = AddTarget(Replication("telegraf"));
  routing_->local_info = std::make_shared<LocalInfo>(local_, clock_);
  local_->respond = [](const http::HttpRequest& req) {
    http::HttpResponse r;
    r.headers.emplace_back("X-Influxdb-Version", "1.6.7~rc0");
    if (req.target.rfind("/api/v2/write", 0) == 0) {
      r.status = 404;
      r.body = "404 page not found\n";
    } else if (req.target.rfind("/query", 0) == 0) {
      r.status = 200;
      r.body =
          "{\"results\":[{\"statement_id\":0,\"series\":[{\"columns\":[\"name\",\"duration\","
          "\"shardGroupDuration\",\"replicaN\",\"default\"],\"values\":[[\"autogen\",\"0s\","
          "\"168h0m0s\",1,true]]}]}]}\n";
    } else {
      r.status = 204;
    }
    return r;
  };
  auto r = Post("/api/v2/write", "org=o&bucket=telegraf%2Fautogen", "m v=1 1\n",
                {{"Authorization", "Token user:pass"}});
  EXPECT_EQ(r.status, 204) << r.body;
  ASSERT_EQ(t->appended.size(), 1u) << "telegraf/autogen is telegraf's default rp";
  const auto& last = local_->requests.back();
  EXPECT_EQ(last.target, "/write?db=telegraf&rp=autogen");
  EXPECT_EQ(*http::FindHeader(last.headers, "authorization"), "Basic dXNlcjpwYXNz");
  // Remembered: the next v2 write goes to /write at once.
  const size_t before = local_->requests.size();
  EXPECT_EQ(Post("/api/v2/write", "bucket=telegraf", "m v=2 2\n").status, 204);
  EXPECT_EQ(local_->requests.size(), before + 1);
  EXPECT_EQ(local_->requests.back().target, "/write?db=telegraf");
  EXPECT_EQ(t->appended.size(), 2u);
}

}  // namespace
}  // namespace edgerepl::frontdoor

TEST(ErrorForPath, V1WriteGets1xShapeEverythingElse2xShape) {
  auto v1 = edgerepl::frontdoor::ErrorForPath("/write", 413, "request too large",
                                              "request body exceeds 10 bytes");
  EXPECT_EQ(v1.status, 413);
  EXPECT_EQ(v1.body, "{\"error\":\"request body exceeds 10 bytes\"}\n");
  bool header = false;
  for (const auto& [name, value] : v1.headers)
    if (name == "X-Influxdb-Error") header = value == "request body exceeds 10 bytes";
  EXPECT_TRUE(header);
  auto v2 = edgerepl::frontdoor::ErrorForPath(
      "/api/v2/write", 431, "request header fields too large", "more than 1000 header fields");
  EXPECT_EQ(v2.body,
            "{\"code\":\"request header fields too large\",\"message\":\"more than 1000 header "
            "fields\"}");
}
