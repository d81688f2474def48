// The replay of interrupted writes (frontdoor/intent_recovery.h) against a real influxd 1.6.7 as
// the local database, with recording queues.
#include "agent/frontdoor/intent_recovery.h"

#include <gtest/gtest.h>

#include <prometheus/registry.h>

#include <mutex>

#include "agent/frontdoor/local_info.h"
#include "common/http/client_beast.h"
#include "tests/support/servers.h"

namespace edgerepl::frontdoor {
namespace {

class RecordingTarget final : public WriteTarget {
 public:
  explicit RecordingTarget(config::ReplicationConfig r) : replication_(std::move(r)) {}
  const config::ReplicationConfig& replication() const override { return replication_; }
  bool HasRoomFor(uint64_t) const override { return true; }
  Status Append(std::string_view payload, uint32_t points) override {
    appended.emplace_back(payload);
    this->points += points;
    return Status::Ok();
  }
  void CountDropped(uint64_t, uint64_t, std::string_view) override {}
  void CountDelete(std::string_view) override {}

  config::ReplicationConfig replication_;
  std::vector<std::string> appended;
  uint64_t points = 0;
};

class RecordingLog final : public IntentLog {
 public:
  Result<uint64_t> Begin(const std::vector<std::string_view>&) override { return 0; }
  void Resolve(uint64_t id) override { resolved.push_back(id); }
  std::vector<uint64_t> resolved;
};

config::ReplicationConfig Replication(const std::string& bucket,
                                      std::vector<std::string> measurements = {}) {
  config::ReplicationConfig r;
  r.id = "r-" + bucket;
  r.name = bucket;
  r.local_bucket = bucket;
  r.measurements = std::move(measurements);
  return r;
}

PendingWrite Pending(uint64_t id, const std::string& target, const std::string& body) {
  http::HttpRequest r;
  r.target = target;
  r.headers = {{"Content-Type", "text/plain"}};
  r.body = body;
  std::string prefix;
  std::string payload;
  for (std::string_view part : EncodeIntent(r, &prefix)) payload.append(part);
  return {id, payload};
}

TEST(IntentTest, EncodeDecodeRoundTrips) {
  http::HttpRequest r;
  r.target = "/api/v2/write?org=o&bucket=b";
  r.headers = {{"Authorization", "Token x"}, {"X-Empty", ""}};
  r.body = std::string("m v=1i 1\n\0binary\n", 17);
  std::string prefix, payload;
  for (std::string_view part : EncodeIntent(r, &prefix)) payload.append(part);
  auto back = DecodeIntent(payload);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->target, r.target);
  EXPECT_EQ(back->headers, r.headers);
  EXPECT_EQ(back->body, r.body);
  EXPECT_FALSE(DecodeIntent(payload.substr(0, 10)).ok());
  EXPECT_FALSE(DecodeIntent("not one").ok());
}

class IntentReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::Influxd::Available()) GTEST_SKIP() << "influxd is not installed";
    influxd_ = std::make_unique<testing::Influxd>();
    influxd_->Start();
    influxd_->CreateDatabase("db");
    http::HttpClientOptions o;
    o.base_url = influxd_->url();
    o.timeout = std::chrono::seconds(5);
    routing_.local = std::move(http::MakeHttpClient(o)).value();
  }
  // The write path itself replays, as in the agent.
  ReplayReport Replay(std::vector<PendingWrite> pending, IntentLog& log,
                      const ReplayOptions& options = {}) {
    auto routing = std::make_shared<const Routing>(routing_);
    WriteHandler handler([routing] { return routing; }, RealClock::Instance(), metrics_);
    return ReplayIntents(
        [&handler](http::HttpRequest local) { return handler.Replay(std::move(local)); },
        std::move(pending), log, options);
  }
  std::unique_ptr<testing::Influxd> influxd_;
  Routing routing_;
  prometheus::Registry registry_;
  WriteMetrics metrics_{registry_};
};

TEST_F(IntentReplayTest, AcceptedWritesAreStoredAndQueuedRefusedOnesCounted) {
  auto all = std::make_shared<RecordingTarget>(Replication("db"));
  auto cpu_only = std::make_shared<RecordingTarget>(Replication("db", {"cpu"}));
  auto other = std::make_shared<RecordingTarget>(Replication("other"));
  routing_.targets = {all, cpu_only, other};
  // The second one was stored before the crash already: its replay is idempotent.
  ASSERT_EQ(influxd_->Write("db", "cpu v=2i 2000\n"), 204);
  // A field type conflict with what the first stored: influxd refuses the whole body (400).
  std::vector<PendingWrite> pending = {
      Pending(7, "/write?db=db", "cpu v=2i 2000\nmem v=3i 3000\n"),
      Pending(3, "/write?db=db", "cpu v=1i 1000\n"),
      Pending(9, "/write?db=db", "cpu v=\"text\" 4000\n"),
      {11, "garbage"},
  };
  RecordingLog log;
  ReplayReport r = Replay(pending, log);
  EXPECT_EQ(r.queued, 2u);
  EXPECT_EQ(r.queued_points, 3u);
  EXPECT_EQ(r.refused, 1u);
  EXPECT_EQ(r.refused_points, 1u);
  EXPECT_EQ(r.unreadable, 1u);
  EXPECT_EQ(r.left, 0u);
  // Oldest first; every record resolved, whatever its outcome.
  EXPECT_EQ(log.resolved, (std::vector<uint64_t>{3, 7, 9, 11}));
  EXPECT_EQ(all->appended,
            (std::vector<std::string>{"cpu v=1i 1000\n", "cpu v=2i 2000\nmem v=3i 3000\n"}));
  EXPECT_EQ(cpu_only->appended, (std::vector<std::string>{"cpu v=1i 1000\n", "cpu v=2i 2000\n"}));
  EXPECT_EQ(cpu_only->points, 2u);
  EXPECT_TRUE(other->appended.empty());
  EXPECT_EQ(influxd_->CountPoints("db", "cpu", "v"), 2);
  EXPECT_EQ(influxd_->CountPoints("db", "mem", "v"), 1);
}

// The replay is the write path itself: a partial write queues the stored lines only, and a v2
// write recorded in front of a 1.x local (no /api/v2/write) is translated as a new one would be.
TEST_F(IntentReplayTest, PartialWritesAndV2WritesReplayAsTheWritePathHandlesThem) {
  auto all = std::make_shared<RecordingTarget>(Replication("db"));
  routing_.targets = {all};
  routing_.local_info = std::make_shared<LocalInfo>(routing_.local, RealClock::Instance());
  ASSERT_EQ(influxd_->Write("db", "cpu v=1i 1000\n"), 204);
  RecordingLog log;
  ReplayReport r = Replay({Pending(1, "/write?db=db", "cpu v=\"s\" 2000\ncpu v=3i 3000\n"),
                           Pending(2, "/api/v2/write?org=o&bucket=db", "cpu v=4i 4000\n")},
                          log);
  EXPECT_EQ(r.queued, 1u);
  EXPECT_EQ(r.refused, 1u) << "the partial write";
  EXPECT_EQ(r.refused_points, 1u);
  EXPECT_EQ(r.queued_points, 2u) << "the stored line of the partial write and the v2 write";
  EXPECT_EQ(log.resolved, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(all->appended, (std::vector<std::string>{"cpu v=3i 3000\n", "cpu v=4i 4000\n"}));
  EXPECT_EQ(influxd_->CountPoints("db", "cpu", "v"), 3);
}

TEST_F(IntentReplayTest, AnUnreachableLocalIsRetriedUntilItAnswersOrTheStartStops) {
  auto all = std::make_shared<RecordingTarget>(Replication("db"));
  routing_.targets = {all};
  influxd_->Stop();
  RecordingLog log;
  ReplayOptions o;
  o.retry_min = std::chrono::milliseconds(20);
  o.retry_max = std::chrono::milliseconds(50);
  int asked = 0;
  o.stopping = [&asked] { return ++asked >= 3; };
  ReplayReport r = Replay({Pending(1, "/write?db=db", "m v=1i 1\n")}, log, o);
  EXPECT_EQ(r.left, 1u);
  EXPECT_GE(r.local_retries, 3u);
  EXPECT_TRUE(log.resolved.empty()) << "left in the journal for the next start";
  EXPECT_TRUE(all->appended.empty());

  influxd_->Start();
  o.stopping = nullptr;
  r = Replay({Pending(1, "/write?db=db", "m v=1i 1\n")}, log, o);
  EXPECT_EQ(r.queued, 1u);
  EXPECT_EQ(log.resolved, (std::vector<uint64_t>{1}));
  EXPECT_EQ(all->appended.size(), 1u);
}

}  // namespace
}  // namespace edgerepl::frontdoor
