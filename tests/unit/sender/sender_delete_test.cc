// Replicated deletes in the sender: a delete record is applied at the remote on its own, after
// every write queued before it was acknowledged and before any write queued after it is sent,
// one request at a time or pipelined; a refusal stalls or drops it as it does a refused write.
#include <gtest/gtest.h>

#include <prometheus/text_serializer.h>

#include <mutex>
#include <sstream>

#include "agent/deletes/delete_spec.h"
#include "agent/deletes/influxql_delete.h"
#include "agent/deletes/v2_delete.h"
#include "agent/sender/sender.h"
#include "common/codec/gzip.h"
#include "common/codec/percent.h"
#include "common/codec/query.h"
#include "common/httpserver/server.h"
#include "tests/unit/sender/test_doubles.h"

namespace edgerepl::sender {
namespace {

using testing::Answer;
using testing::FakeClock;
using testing::MaxRandom;
using testing::MemorySource;

deletes::DeleteSpec CpuOfHostA() {
  deletes::DeleteSpec spec;
  spec.measurement = "cpu";
  spec.tags = {{"host", "a"}};
  spec.start_ns = 1000;
  spec.stop_ns = 2000;
  return spec;
}

// What the remote saw, in the order requests started and ended; thread-safe, as pipelined
// requests run on the sender's workers.
class Remote final : public http::HttpClient {
 public:
  using Handler = std::function<http::HttpResponse(const http::HttpRequest&)>;
  explicit Remote(Handler handler) : handler_(std::move(handler)) {}
  Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    std::string name = Name(request);
    {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back("start " + name);
      requests_.push_back(request);
    }
    http::HttpResponse answer = handler_(request);
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back("end " + name);
    return answer;
  }
  std::vector<std::string> events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::vector<http::HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  // "delete", or the write's body ("m v=3 1\n...").
  static std::string Name(const http::HttpRequest& r) {
    if (r.target.find("/write") == std::string::npos) return "delete";
    return codec::GzipDecompress(r.body, 1 << 20).value();
  }

 private:
  Handler handler_;
  mutable std::mutex mu_;
  std::vector<std::string> events_;
  std::vector<http::HttpRequest> requests_;
};

class SenderDeleteTest : public ::testing::Test {
 protected:
  void Make(Protocol protocol, int max_in_flight, Remote::Handler handler,
            bool drop_non_retryable = false) {
    SenderOptions o;
    o.replication_name = "r1";
    o.protocol = protocol;
    o.org_id = "org1";
    o.bucket = protocol == Protocol::kV1 ? "edge/autogen" : "edge";
    o.token = "sekret-token";
    o.batch.max_points = 2;
    o.max_in_flight = max_in_flight;
    o.drop_non_retryable = drop_non_retryable;
    remote_ = std::make_unique<Remote>(std::move(handler));
    metrics_ = std::make_unique<SenderMetrics>(registry_, "r1");
    sender_ = std::make_unique<Sender>(o, *remote_, source_, clock_, random_, *metrics_);
  }
  void Write(int i) { source_.Append("m v=" + std::to_string(i) + " 1\n"); }
  void Delete() { source_.Append(deletes::EncodeRecord(CpuOfHostA())); }
  // Steps while there is work; the last result.
  StepResult Drain(int max_steps = 50) {
    StepResult r;
    for (int i = 0; i < max_steps; ++i) {
      r = sender_->Step();
      if (r.kind != StepResult::kContinue) break;
    }
    return r;
  }
  double Deletes(const std::string& result) {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, registry_.Collect());
    std::string want = "edgerepl_deletes_total{replication=\"r1\",result=\"" + result + "\"} ";
    std::string text = out.str();
    size_t at = text.find(want);
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + want.size()));
  }

  prometheus::Registry registry_;
  MemorySource source_;
  FakeClock clock_;
  MaxRandom random_;
  std::unique_ptr<Remote> remote_;
  std::unique_ptr<SenderMetrics> metrics_;
  std::unique_ptr<Sender> sender_;
};

http::HttpResponse V1Answer(const http::HttpRequest& r) {
  if (Remote::Name(r) == "delete") {
    return Answer(200, {}, R"({"results":[{"statement_id":0}]})");
  }
  return Answer(204);
}

TEST_F(SenderDeleteTest, V1DeleteIsAnInfluxQLStatementBetweenTheWritesAroundIt) {
  Make(Protocol::kV1, 1, V1Answer);
  Write(1);
  Delete();
  Write(2);
  EXPECT_EQ(Drain().kind, StepResult::kIdle);
  EXPECT_EQ(source_.acked(), 3u);
  std::vector<http::HttpRequest> requests = remote_->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(Remote::Name(requests[0]), "m v=1 1\n");
  EXPECT_EQ(Remote::Name(requests[2]), "m v=2 1\n");
  const http::HttpRequest& d = requests[1];
  // Every retention policy of the database, as InfluxQL's DELETE acts locally.
  EXPECT_EQ(d.method, "POST");
  EXPECT_EQ(d.target, "/query?db=edge");
  EXPECT_EQ(*http::FindHeader(d.headers, "content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(*http::FindHeader(d.headers, "authorization"), "Token sekret-token");
  EXPECT_EQ(codec::QueryParam(d.body, "q").value_or(""), deletes::RenderInfluxQL(CpuOfHostA()));
  EXPECT_EQ(Deletes("applied"), 1);
  EXPECT_EQ(Deletes("refused"), 0);
}

TEST_F(SenderDeleteTest, V2DeleteGoesToTheDeleteApiOfTheRemoteBucket) {
  Make(Protocol::kV2, 1, [](const http::HttpRequest&) { return Answer(204); });
  Delete();
  EXPECT_EQ(Drain().kind, StepResult::kIdle);
  std::vector<http::HttpRequest> requests = remote_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/api/v2/delete?orgID=org1&bucket=edge");
  EXPECT_EQ(*http::FindHeader(requests[0].headers, "content-type"), "application/json");
  EXPECT_EQ(requests[0].body, deletes::RenderV2Body(CpuOfHostA()));
  EXPECT_EQ(source_.acked(), 1u);
  EXPECT_EQ(Deletes("applied"), 1);
}

// Pipelined, the writes before a delete are all answered before it starts, and none after it
// starts before it is answered: the remote applies the three in the local's order.
TEST_F(SenderDeleteTest, PipelinedDeleteWaitsForTheWritesBeforeItAndHoldsBackThoseAfter) {
  Make(Protocol::kV1, 4, V1Answer);
  for (int i = 0; i < 8; ++i) Write(i);
  Delete();
  for (int i = 8; i < 16; ++i) Write(i);
  EXPECT_EQ(Drain().kind, StepResult::kIdle);
  EXPECT_EQ(source_.acked(), 17u);
  std::vector<std::string> events = remote_->events();
  auto at = [&](const std::string& e) {
    return std::find(events.begin(), events.end(), e) - events.begin();
  };
  const auto start = at("start delete"), end = at("end delete");
  ASSERT_LT(end, static_cast<long>(events.size()));
  for (int i = 0; i < 16; i += 2) {
    std::string body = "m v=" + std::to_string(i) + " 1\nm v=" + std::to_string(i + 1) + " 1\n";
    if (i < 8) {
      EXPECT_LT(at("end " + body), start) << body;
    } else {
      EXPECT_GT(at("start " + body), end) << body;
    }
  }
  EXPECT_EQ(Deletes("applied"), 1);
}

TEST_F(SenderDeleteTest, AStatementErrorIn200IsARefusalThatStallsTheStream) {
  Make(Protocol::kV1, 1, [](const http::HttpRequest& r) {
    if (Remote::Name(r) == "delete") {
      return Answer(200, {}, R"({"results":[{"statement_id":0,"error":"shard is disabled"}]})");
    }
    return Answer(204);
  });
  Delete();
  Write(1);
  EXPECT_EQ(Drain().kind, StepResult::kWait);
  SenderStatus status = sender_->Snapshot();
  EXPECT_EQ(status.state, State::kStalled);
  EXPECT_EQ(status.latest_response_code, 200);
  EXPECT_EQ(status.latest_error_message, "delete refused: shard is disabled");
  EXPECT_EQ(source_.acked(), 0u);
  EXPECT_EQ(remote_->requests().size(), 1u);  // the write behind it waits
  EXPECT_EQ(Deletes("refused"), 1);
  // Skipped on request, it is counted dropped and the write behind it goes.
  sender_->SkipHead();
  EXPECT_EQ(Drain().kind, StepResult::kIdle);
  EXPECT_EQ(source_.acked(), 2u);
  EXPECT_EQ(Deletes("dropped"), 1);
  EXPECT_EQ(Remote::Name(remote_->requests().back()), "m v=1 1\n");
}

TEST_F(SenderDeleteTest, ARefusedDeleteIsDroppedWithDropNonRetryableData) {
  Make(
      Protocol::kV2, 1,
      [](const http::HttpRequest& r) {
        if (Remote::Name(r) == "delete") {
          return Answer(400, {}, R"({"code":"invalid","message":"bad predicate"})");
        }
        return Answer(204);
      },
      /*drop_non_retryable=*/true);
  Delete();
  Write(1);
  EXPECT_EQ(Drain().kind, StepResult::kIdle);
  EXPECT_EQ(source_.acked(), 2u);
  EXPECT_EQ(Deletes("refused"), 1);
  EXPECT_EQ(Deletes("dropped"), 1);
  EXPECT_EQ(Deletes("applied"), 0);
}

TEST_F(SenderDeleteTest, AnUnavailableRemoteIsRetriedAndTheDeleteKeptAtTheHead) {
  int failures = 2;
  Make(Protocol::kV2, 4, [&](const http::HttpRequest& r) {
    if (Remote::Name(r) == "delete" && failures > 0) {
      --failures;
      return Answer(503);
    }
    return Answer(204);
  });
  Delete();
  Write(1);
  EXPECT_EQ(Drain().kind, StepResult::kWait);
  EXPECT_EQ(sender_->Snapshot().state, State::kBackoff);
  EXPECT_EQ(source_.acked(), 0u);
  EXPECT_EQ(Drain().kind, StepResult::kWait);
  EXPECT_EQ(Drain().kind, StepResult::kIdle);
  EXPECT_EQ(source_.acked(), 2u);
  std::vector<http::HttpRequest> requests = remote_->requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(Remote::Name(requests[3]), "m v=1 1\n");
  EXPECT_EQ(Deletes("applied"), 1);
  EXPECT_EQ(Deletes("refused"), 0);
}

TEST_F(SenderDeleteTest, ARecordThisVersionCannotReadIsDroppedNotSent) {
  Make(Protocol::kV1, 1, V1Answer);
  source_.Append(std::string(deletes::kDeleteMarker) + "{not json\n");
  Write(1);
  EXPECT_EQ(Drain().kind, StepResult::kIdle);
  EXPECT_EQ(source_.acked(), 2u);
  ASSERT_EQ(remote_->requests().size(), 1u);
  EXPECT_EQ(Deletes("dropped"), 1);
}

}  // namespace
}  // namespace edgerepl::sender
