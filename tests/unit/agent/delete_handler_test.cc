// The front door's replicated deletes, against a scripted local: what the local is sent, what is
// queued on which replication, and the clear refusals for what cannot be replicated.
#include "agent/frontdoor/delete_handler.h"

#include <gtest/gtest.h>

#include <mutex>

#include "agent/deletes/delete_spec.h"
#include "agent/deletes/influxql_delete.h"
#include "agent/deletes/v2_delete.h"
#include "agent/frontdoor/intent.h"
#include "agent/frontdoor/local_info.h"
#include "common/codec/percent.h"
#include "common/codec/query.h"
#include "tests/fakes/fake_clock.h"

namespace edgerepl::frontdoor {
namespace {

using ::edgerepl::testing::FakeClock;

constexpr int64_t kNowNs = 1'700'000'000'000'000'000;

class FakeLocal final : public http::HttpClient {
 public:
  Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests.push_back(request);
    if (!reachable) return Status::Unavailable("connection refused");
    return respond(request);
  }
  std::mutex mu_;
  std::vector<http::HttpRequest> requests;
  bool reachable = true;
  std::function<http::HttpResponse(const http::HttpRequest&)> respond =
      [](const http::HttpRequest& r) {
        if (r.target.rfind("/query", 0) == 0) {
          return http::HttpResponse{200, {}, R"({"results":[{"statement_id":0}]})"};
        }
        return http::HttpResponse{204, {}, ""};
      };
};

class FakeTarget final : public WriteTarget {
 public:
  explicit FakeTarget(config::ReplicationConfig r) : r_(std::move(r)) {}
  const config::ReplicationConfig& replication() const override { return r_; }
  bool HasRoomFor(uint64_t) const override { return room; }
  Status Append(std::string_view payload, uint32_t points) override {
    EXPECT_EQ(points, 0u);
    if (!append_status.ok()) return append_status;
    Result<deletes::DeleteSpec> spec = deletes::DecodeRecord(payload);
    EXPECT_TRUE(spec.ok()) << payload;
    if (spec.ok()) queued.push_back(*spec);
    return Status::Ok();
  }
  void CountDropped(uint64_t, uint64_t, std::string_view) override {}
  void CountDelete(std::string_view result) override { counted[std::string(result)]++; }

  config::ReplicationConfig r_;
  bool room = true;
  Status append_status;
  std::vector<deletes::DeleteSpec> queued;
  std::map<std::string, int> counted;
};

// Keeps every recorded intent until it is resolved.
class MemoryIntents final : public IntentLog {
 public:
  Result<uint64_t> Begin(const std::vector<std::string_view>& parts) override {
    std::string payload;
    for (std::string_view p : parts) payload += p;
    open[++last] = payload;
    return last;
  }
  void Resolve(uint64_t id) override { open.erase(id); }
  std::map<uint64_t, std::string> open;
  uint64_t last = 0;
};

config::ReplicationConfig Replication(std::string bucket, bool replicate_deletes = true) {
  config::ReplicationConfig r;
  r.id = "id-" + bucket;
  r.name = "rep-" + bucket;
  r.local_bucket = std::move(bucket);
  r.replicate_deletes = replicate_deletes;
  return r;
}

std::string StatementSent(const http::HttpRequest& r) {
  return codec::QueryParam(r.body, "q").value_or("<none>");
}

class DeleteHandlerTest : public ::testing::Test {
 protected:
  DeleteHandlerTest() : handler_([this] { return routing_; }, clock_) {
    routing_ = std::make_shared<Routing>();
    routing_->local = local_;
  }
  FakeTarget* AddTarget(config::ReplicationConfig r) {
    auto t = std::make_shared<FakeTarget>(std::move(r));
    routing_->targets.push_back(t);
    return t.get();
  }
  std::optional<httpserver::Response> Query(std::string q, std::string db = "telegraf") {
    httpserver::Request r;
    r.method = "POST";
    r.path = "/query";
    r.query = "db=" + db + "&u=alice&p=pw";
    r.body = "q=" + codec::PercentEncode(q);
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    return handler_.Handle(r);
  }
  std::optional<httpserver::Response> V2Delete(std::string body, std::string bucket = "telegraf") {
    httpserver::Request r;
    r.method = "POST";
    r.path = "/api/v2/delete";
    r.query = "org=o&bucket=" + bucket;
    r.body = std::move(body);
    r.headers = {{"Content-Type", "application/json"}, {"Authorization", "Token u:p"}};
    return handler_.Handle(r);
  }

  FakeClock clock_{std::chrono::nanoseconds(kNowNs)};
  std::shared_ptr<FakeLocal> local_ = std::make_shared<FakeLocal>();
  std::shared_ptr<Routing> routing_;
  DeleteHandler handler_;
};

TEST_F(DeleteHandlerTest, V1DeleteGoesToTheLocalAsReplicatedThenIsQueued) {
  FakeTarget* rp1 = AddTarget(Replication("telegraf"));
  FakeTarget* rp2 = AddTarget(Replication("telegraf/weekly"));
  FakeTarget* other = AddTarget(Replication("other"));
  auto r = Query("delete from cpu where host = 'a' and time < now() - 1h");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(local_->requests.size(), 1u);
  const http::HttpRequest& sent = local_->requests[0];
  // now() is resolved once, here: the local and every remote delete the same points.
  deletes::DeleteSpec want;
  want.measurement = "cpu";
  want.tags = {{"host", "a"}};
  want.stop_ns = kNowNs - 3'600'000'000'000 - 1;
  EXPECT_EQ(StatementSent(sent), deletes::RenderInfluxQL(want));
  EXPECT_EQ(sent.target, "/query?db=telegraf&u=alice&p=pw");
  // DELETE acts on every retention policy of the database: both replications of it carry it.
  ASSERT_EQ(rp1->queued.size(), 1u);
  EXPECT_EQ(rp1->queued[0], want);
  ASSERT_EQ(rp2->queued.size(), 1u);
  EXPECT_TRUE(other->queued.empty());
  EXPECT_EQ(rp1->counted["queued"], 1);
}

// DROP MEASUREMENT deletes what DROP SERIES FROM does; left alone it would delete locally only.
TEST_F(DeleteHandlerTest, DropMeasurementIsReplicatedAsDropSeriesOfIt) {
  FakeTarget* t = AddTarget(Replication("telegraf"));
  auto r = Query("drop  measurement \"c\\\"pu\"");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(t->queued.size(), 1u);
  EXPECT_EQ(t->queued[0].kind, deletes::DeleteSpec::Kind::kDropSeries);
  EXPECT_EQ(t->queued[0].measurement, "c\"pu");
  EXPECT_EQ(StatementSent(local_->requests[0]), deletes::RenderInfluxQL(t->queued[0]));
  EXPECT_FALSE(Query("DROP MEASUREMENTS").has_value());  // not a statement that deletes
}

TEST_F(DeleteHandlerTest, WithoutReplicateDeletesAQueryIsNotTouched) {
  AddTarget(Replication("telegraf", /*replicate_deletes=*/false));
  EXPECT_FALSE(Query("DELETE FROM cpu").has_value());
  AddTarget(Replication("other"));
  EXPECT_FALSE(Query("DELETE FROM cpu").has_value());  // another database's replication
  EXPECT_FALSE(Query("SELECT * FROM cpu", "other").has_value());
  EXPECT_TRUE(local_->requests.empty());
}

TEST_F(DeleteHandlerTest, ALocalRefusalIsPassedOnAndNothingQueued) {
  FakeTarget* t = AddTarget(Replication("telegraf"));
  local_->respond = [](const http::HttpRequest&) {
    return http::HttpResponse{200, {}, R"({"results":[{"statement_id":0,"error":"boom"}]})"};
  };
  auto r = Query("DROP SERIES FROM cpu");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("boom"), std::string::npos);
  EXPECT_TRUE(t->queued.empty());
  local_->respond = [](const http::HttpRequest&) {
    return http::HttpResponse{401, {}, R"({"error":"authorization failed"})"};
  };
  EXPECT_EQ(Query("DROP SERIES FROM cpu")->status, 401);
  EXPECT_TRUE(t->queued.empty());
  local_->reachable = false;
  EXPECT_EQ(Query("DROP SERIES FROM cpu")->status, 502);
  EXPECT_TRUE(t->queued.empty());
}

TEST_F(DeleteHandlerTest, WhatCannotBeReplicatedIsRefusedBeforeTheLocalDeletes) {
  AddTarget(Replication("telegraf"));
  auto several = Query("DELETE FROM cpu; DELETE FROM mem");
  ASSERT_TRUE(several.has_value());
  EXPECT_EQ(several->status, 400);
  EXPECT_NE(several->body.find("as a query of its own"), std::string::npos) << several->body;
  auto regex = Query("DELETE FROM /cp.*/");
  ASSERT_TRUE(regex.has_value());
  EXPECT_EQ(regex->status, 400);
  EXPECT_NE(regex->body.find("cannot be"), std::string::npos) << regex->body;
  EXPECT_TRUE(local_->requests.empty());
}

TEST_F(DeleteHandlerTest, InstanceAndMeasurementFiltersScopeWhatIsQueued) {
  routing_->instance_id = "edge-7";
  config::ReplicationConfig filtered = Replication("telegraf");
  filtered.measurements = {"cpu", "mem"};
  FakeTarget* t = AddTarget(filtered);
  ASSERT_TRUE(Query("DELETE WHERE time < '2023-01-01T00:00:00Z'").has_value());
  // One per replicated measurement, each limited to this agent's points.
  ASSERT_EQ(t->queued.size(), 2u);
  EXPECT_EQ(t->queued[0].measurement, "cpu");
  EXPECT_EQ(t->queued[1].measurement, "mem");
  for (const auto& q : t->queued) {
    EXPECT_EQ(q.tags,
              (std::vector<std::pair<std::string, std::string>>{{"_instance_id", "edge-7"}}));
  }
  // The local itself deletes without the instance tag (its points carry it, others' do not
  // exist there).
  EXPECT_EQ(StatementSent(local_->requests[0]).find("_instance_id"), std::string::npos);
  ASSERT_TRUE(Query("DELETE FROM disk").has_value());  // not replicated by this replication
  EXPECT_EQ(t->queued.size(), 2u);
}

TEST_F(DeleteHandlerTest, AFullQueueUnderRejectRefusesAndAFailedAppendIsA503) {
  routing_->queue_full_policy = config::QueueFullPolicy::kReject;
  FakeTarget* t = AddTarget(Replication("telegraf"));
  t->room = false;
  auto full = Query("DELETE FROM cpu");
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->status, 503);
  EXPECT_TRUE(local_->requests.empty());
  t->room = true;
  t->append_status = Status::FromErrno(EIO, "disk gone");
  auto failed = Query("DELETE FROM cpu");
  EXPECT_EQ(failed->status, 503);
  EXPECT_NE(failed->body.find("deleted locally but not queued"), std::string::npos);
  routing_->queue_full_policy = config::QueueFullPolicy::kDrop;
  t->append_status = Status::NoSpace("full");
  EXPECT_EQ(Query("DELETE FROM cpu")->status, 200);
  EXPECT_EQ(t->counted["dropped"], 1);
}

TEST_F(DeleteHandlerTest, V2DeleteIsSentAsRenderedAndQueued) {
  FakeTarget* t = AddTarget(Replication("telegraf"));
  auto r = V2Delete(
      R"({"start":"2023-01-01T00:00:00Z","stop":"2023-01-02T00:00:00Z","predicate":"_measurement=\"cpu\" AND host=\"a\""})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 204);
  ASSERT_EQ(local_->requests.size(), 1u);
  EXPECT_EQ(local_->requests[0].target, "/api/v2/delete?org=o&bucket=telegraf");
  ASSERT_EQ(t->queued.size(), 1u);
  EXPECT_EQ(local_->requests[0].body, deletes::RenderV2Body(t->queued[0]));
  EXPECT_EQ(t->queued[0].measurement, "cpu");
  auto bad = V2Delete(
      R"({"start":"2023-01-01T00:00:00Z","stop":"2023-01-02T00:00:00Z","predicate":"a=\"1\" OR b=\"2\""})");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("\"code\":\"invalid\""), std::string::npos) << bad->body;
  EXPECT_EQ(local_->requests.size(), 1u);
}

// In front of a 1.x local without /api/v2/delete, the v2 delete is applied through InfluxQL.
TEST_F(DeleteHandlerTest, V2DeleteInFrontOfA1xLocalGoesThroughInfluxQL) {
  routing_->local_info = std::make_shared<LocalInfo>(local_, clock_);
  local_->respond = [](const http::HttpRequest& r) {
    if (r.target.rfind("/api/v2/delete", 0) == 0) {
      return http::HttpResponse{404, {}, "404 page not found\n"};
    }
    if (r.target.rfind("/ping", 0) == 0) {
      return http::HttpResponse{204, {{"X-Influxdb-Version", "1.6.7"}}, ""};
    }
    return http::HttpResponse{200, {}, R"({"results":[{"statement_id":0}]})"};
  };
  FakeTarget* t = AddTarget(Replication("telegraf"));
  auto r = V2Delete(R"({"start":"1970-01-01T00:00:00Z","stop":"2030-01-01T00:00:00Z"})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 204);
  const http::HttpRequest& v1 = local_->requests.back();
  EXPECT_EQ(v1.target, "/query?db=telegraf");
  ASSERT_EQ(t->queued.size(), 1u);
  EXPECT_EQ(StatementSent(v1), deletes::RenderInfluxQL(t->queued[0]));
  EXPECT_EQ(*http::FindHeader(v1.headers, "authorization"), "Basic dTpw");
}

// The local delete is recorded until it is queued; a crash in between leaves the record, and its
// replay queues the delete the local already applied.
TEST_F(DeleteHandlerTest, ARecordedDeleteIsReplayedIntoTheQueue) {
  auto intents = std::make_shared<MemoryIntents>();
  routing_->intents = intents;
  FakeTarget* t = AddTarget(Replication("telegraf"));
  // The local answers, and the "crash" comes before the queue append: the append fails with
  // the process going away, so the intent stays open.
  std::string recorded;
  local_->respond = [&](const http::HttpRequest&) {
    // The first is recorded before it is sent; the replay is not recorded again.
    EXPECT_EQ(intents->open.size(), recorded.empty() ? 1u : 0u);
    if (!intents->open.empty()) recorded = intents->open.begin()->second;
    return http::HttpResponse{200, {}, R"({"results":[{"statement_id":0}]})"};
  };
  ASSERT_EQ(Query("DELETE FROM cpu WHERE time < now()")->status, 200);
  EXPECT_TRUE(intents->open.empty());  // resolved once queued
  ASSERT_EQ(t->queued.size(), 1u);
  Result<http::HttpRequest> local = DecodeIntent(recorded);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_TRUE(DeleteHandler::IsDeleteIntent(*local));
  WriteHandler::ReplayOutcome out = handler_.Replay(*local);
  EXPECT_EQ(out.status, 200);
  EXPECT_TRUE(out.answered);
  EXPECT_TRUE(intents->open.empty());  // a replay is not recorded again
  ASSERT_EQ(t->queued.size(), 2u);
  EXPECT_EQ(t->queued[1], t->queued[0]);  // now() was resolved before it was recorded
  http::HttpRequest write;
  write.target = "/write?db=telegraf";
  EXPECT_FALSE(DeleteHandler::IsDeleteIntent(write));
}

}  // namespace
}  // namespace edgerepl::frontdoor
