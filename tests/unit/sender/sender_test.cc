// The sender's decisions, driven step by step with a fake HTTP client and fake clock: no sockets,
// no real waiting.
#include "agent/sender/sender.h"

#include "agent/sender/from_config.h"

#include <gtest/gtest.h>

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "common/codec/gzip.h"
#include "tests/unit/sender/test_doubles.h"

namespace edgerepl::sender {
namespace {

using std::chrono::milliseconds;
using testing::Answer;
using testing::FakeClock;
using testing::FakeHttpClient;
using testing::MaxRandom;
using testing::MemorySource;

std::string Inflate(const std::string& gz) {
  return codec::GzipDecompress(gz, 1 << 28).value();
}

class SenderTest : public ::testing::Test {
 protected:
  SenderOptions Options() {
    SenderOptions o;
    o.replication_name = "r1";
    o.org_id = "org1";
    o.bucket = "edge";
    o.token = "sekret-token";
    return o;
  }
  void Make(SenderOptions options, FakeHttpClient::Handler handler) {
    http_ = std::make_unique<FakeHttpClient>(std::move(handler));
    metrics_ = std::make_unique<SenderMetrics>(registry_, options.replication_name);
    sender_ =
        std::make_unique<Sender>(std::move(options), *http_, source_, clock_, random_, *metrics_);
  }
  std::string Metrics() {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, registry_.Collect());
    return out.str();
  }
  bool HasMetric(const std::string& line) { return Metrics().find(line) != std::string::npos; }

  prometheus::Registry registry_;
  MemorySource source_;
  FakeClock clock_;
  MaxRandom random_;
  std::unique_ptr<FakeHttpClient> http_;
  std::unique_ptr<SenderMetrics> metrics_;
  std::unique_ptr<Sender> sender_;
};

TEST_F(SenderTest, SendsMergedGzipBatchAndAcks) {
  Make(Options(), [](const http::HttpRequest&) { return Answer(204); });
  source_.Append("m v=1 1\n");
  source_.Append("m v=2 2\n");
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  ASSERT_EQ(http_->requests.size(), 1u);
  const http::HttpRequest& req = http_->requests[0];
  EXPECT_EQ(req.target, "/api/v2/write?org=org1&bucket=edge&precision=ns");
  EXPECT_EQ(Inflate(req.body), "m v=1 1\nm v=2 2\n");
  EXPECT_EQ(*http::FindHeader(req.headers, "content-encoding"), "gzip");
  EXPECT_EQ(*http::FindHeader(req.headers, "authorization"), "Token sekret-token");
  EXPECT_EQ(*http::FindHeader(req.headers, "user-agent"),
            std::string("edgerepl/") + EDGEREPL_VERSION);
  EXPECT_EQ(source_.acked(), 2u);
  auto st = sender_->Snapshot();
  EXPECT_EQ(st.state, State::kReplicating);
  EXPECT_EQ(st.latest_response_code, 204);
  EXPECT_TRUE(st.last_success_time.has_value());
  EXPECT_TRUE(HasMetric("edgerepl_remote_sent_points_total{replication=\"r1\"} 2"));
  EXPECT_TRUE(HasMetric("edgerepl_remote_requests_total{code=\"204\",replication=\"r1\"} 1"));
  EXPECT_TRUE(HasMetric("edgerepl_replication_state{replication=\"r1\",state=\"Replicating\"} 1"));
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
  EXPECT_EQ(sender_->Snapshot().state, State::kIdle);
}

TEST_F(SenderTest, V1TargetSplitsDbAndRp) {
  SenderOptions o = Options();
  o.protocol = Protocol::kV1;
  o.bucket = "telegraf/autogen";
  EXPECT_EQ(WriteTarget(o), "/write?db=telegraf&rp=autogen&precision=n");
  o.bucket = "my db";
  EXPECT_EQ(WriteTarget(o), "/write?db=my%20db&precision=n");
  o.protocol = Protocol::kV2;
  o.bucket_is_id = true;
  o.bucket = "abc";
  EXPECT_EQ(WriteTarget(o), "/api/v2/write?org=org1&bucketID=abc&precision=ns");
}

TEST_F(SenderTest, V1UserPasswordTokenIsSentAsBasicAuth) {
  SenderOptions o = Options();
  o.protocol = Protocol::kV1;
  o.bucket = "db";
  o.token = "admin:s3cret";
  Make(o, [](const http::HttpRequest&) { return Answer(204); });
  source_.Append("m v=1 1\n");
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  ASSERT_EQ(http_->requests.size(), 1u);
  EXPECT_EQ(*http::FindHeader(http_->requests[0].headers, "authorization"),
            "Basic YWRtaW46czNjcmV0");
}

TEST_F(SenderTest, V1UserIsSentAsBasicAuthByDefault) {
  SenderOptions o = Options();
  o.protocol = Protocol::kV1;
  o.bucket = "db";
  o.user = {"admin", "s3cret", false};
  Make(o, [](const http::HttpRequest&) { return Answer(204); });
  source_.Append("m v=1 1\n");
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  ASSERT_EQ(http_->requests.size(), 1u);
  EXPECT_EQ(*http::FindHeader(http_->requests[0].headers, "authorization"),
            "Basic YWRtaW46czNjcmV0");
  EXPECT_EQ(http_->requests[0].target, "/write?db=db&precision=n");
}

TEST_F(SenderTest, V1UserInQueryGoesAsUAndPParameters) {
  SenderOptions o = Options();
  o.protocol = Protocol::kV1;
  o.bucket = "db/rp";
  o.user = {"ad min", "s3&cret", true};
  Make(o, [](const http::HttpRequest&) { return Answer(401, {}, "{\"error\":\"bad s3&cret\"}"); });
  source_.Append("m v=1 1\n");
  sender_->Step();
  ASSERT_EQ(http_->requests.size(), 1u);
  EXPECT_EQ(http::FindHeader(http_->requests[0].headers, "authorization"), nullptr);
  EXPECT_EQ(http_->requests[0].target, "/write?db=db&rp=rp&precision=n&u=ad%20min&p=s3%26cret");
  // An echoed password never reaches the status.
  SenderStatus st = sender_->Snapshot();
  EXPECT_EQ(st.state, State::kUnauthorized);
  EXPECT_EQ(st.latest_response_code, 401);
  EXPECT_EQ(st.latest_error_message.find("s3&cret"), std::string::npos) << st.latest_error_message;
}

TEST_F(SenderTest, ServerErrorBacksOffExponentiallyAndResetsOnSuccess) {
  int calls = 0;
  Make(Options(), [&](const http::HttpRequest&) { return Answer(++calls <= 3 ? 500 : 204); });
  source_.Append("m v=1 1\n");
  // MaxRandom pins full jitter to its ceiling: 250, 500, 1000 ms.
  for (int64_t want : {250, 500, 1000}) {
    StepResult r = sender_->Step();
    EXPECT_EQ(r.kind, StepResult::kWait);
    EXPECT_EQ(r.delay, milliseconds(want));
    EXPECT_EQ(sender_->Snapshot().state, State::kBackoff);
    EXPECT_EQ(source_.acked(), 0u);
  }
  EXPECT_EQ(sender_->Snapshot().consecutive_failures, 3u);
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  EXPECT_EQ(source_.acked(), 1u);
  EXPECT_EQ(sender_->Snapshot().consecutive_failures, 0u);
  EXPECT_TRUE(HasMetric("edgerepl_remote_requests_total{code=\"500\",replication=\"r1\"} 3"));
  // Reset: the next failure starts at the minimum again.
  calls = 0;
  source_.Append("m v=2 2\n");
  EXPECT_EQ(sender_->Step().delay, milliseconds(250));
}

TEST_F(SenderTest, BackoffCapsAtMax) {
  SenderOptions o = Options();
  o.backoff_max = milliseconds(1000);
  Make(o, [](const http::HttpRequest&) { return Answer(502); });
  source_.Append("m v=1 1\n");
  milliseconds last{0};
  for (int i = 0; i < 6; ++i) last = sender_->Step().delay;
  EXPECT_EQ(last, milliseconds(1000));
}

TEST_F(SenderTest, TransportErrorRecordsCodeZeroWithoutToken) {
  Make(Options(), [](const http::HttpRequest&) -> Result<http::HttpResponse> {
    return Status::Unavailable("connection refused to http://x?token=sekret-token");
  });
  source_.Append("m v=1 1\n");
  StepResult r = sender_->Step();
  EXPECT_EQ(r.kind, StepResult::kWait);
  auto st = sender_->Snapshot();
  EXPECT_EQ(st.latest_response_code, 0);
  EXPECT_NE(st.latest_error_message.find("connection refused"), std::string::npos);
  EXPECT_EQ(st.latest_error_message.find("sekret"), std::string::npos);
  EXPECT_TRUE(HasMetric("edgerepl_remote_requests_total{code=\"0\",replication=\"r1\"} 1"));
  EXPECT_EQ(source_.acked(), 0u);
}

// A token that occurs in the replacement text itself ("[redacted]") is still replaced once per
// occurrence; searching from the replacement's start again looped forever.
TEST_F(SenderTest, AShortTokenInsideTheReplacementTextDoesNotHangTheRedaction) {
  SenderOptions o = Options();
  o.token = "t";
  Make(o, [](const http::HttpRequest&) { return Answer(400, {}, "unsupported path: test"); });
  source_.Append("m v=1 1\n");
  EXPECT_EQ(sender_->Step().kind, StepResult::kWait);
  const std::string message = sender_->Snapshot().latest_error_message;
  EXPECT_EQ(message.find("test"), std::string::npos) << message;
  EXPECT_EQ(message.rfind("unsuppor[redac", 0), 0u) << message;
}

TEST_F(SenderTest, ErrorMessageIsTruncated) {
  Make(Options(), [](const http::HttpRequest&) { return Answer(500, {}, std::string(5000, 'e')); });
  source_.Append("m v=1 1\n");
  (void)sender_->Step();
  EXPECT_LE(sender_->Snapshot().latest_error_message.size(), kMaxErrorMessageBytes + 4);
}

TEST_F(SenderTest, RetryAfterSecondsAndDateAreHonouredAndCapped) {
  std::vector<http::HttpResponse> answers = {
      Answer(429, {{"Retry-After", "3"}}),
      Answer(503, {{"Retry-After", "Tue, 14 Nov 2023 22:13:40 GMT"}}),  // clock + 20 s
      Answer(429, {{"Retry-After", "100000"}}),
      Answer(429),
  };
  size_t i = 0;
  Make(Options(),
       [&](const http::HttpRequest&) { return answers[std::min(i++, answers.size() - 1)]; });
  source_.Append("m v=1 1\n");
  EXPECT_EQ(sender_->Step().delay, milliseconds(3000));
  EXPECT_EQ(sender_->Step().delay, milliseconds(20000));
  EXPECT_EQ(sender_->Step().delay, milliseconds(300000));  // backoff.max 30 s × 10
  // No header: the backoff, which advanced under the Retry-After waits (250, 500, 1000 ms).
  EXPECT_EQ(sender_->Step().delay, milliseconds(2000));
  EXPECT_EQ(sender_->Snapshot().state, State::kBackoff);
  EXPECT_EQ(sender_->Snapshot().latest_response_code, 429);
}

// Retry-After 0, negative, or a date already past never retries sooner than the backoff step,
// and a later Retry-After longer than the step still wins.
TEST_F(SenderTest, RetryAfterNeverUndercutsTheBackoffStep) {
  std::vector<http::HttpResponse> answers = {
      Answer(429, {{"Retry-After", "0"}}),
      Answer(503, {{"Retry-After", "-5"}}),
      Answer(503, {{"Retry-After", "Tue, 14 Nov 2023 22:13:00 GMT"}}),  // clock − 20 s
      Answer(429, {{"Retry-After", "0"}}),
      Answer(429, {{"Retry-After", "1"}}),   // shorter than the 4 s step: the step
      Answer(429, {{"Retry-After", "20"}}),  // longer than the 8 s step: the server's wait
      Answer(503, {{"Retry-After", "0"}}),
  };
  size_t i = 0;
  Make(Options(),
       [&](const http::HttpRequest&) { return answers[std::min(i++, answers.size() - 1)]; });
  source_.Append("m v=1 1\n");
  for (int64_t want : {250, 500, 1000, 2000, 4000, 20000, 16000, 30000, 30000}) {
    StepResult r = sender_->Step();
    EXPECT_EQ(r.kind, StepResult::kWait);
    EXPECT_EQ(r.delay, milliseconds(want));
  }
  EXPECT_EQ(source_.acked(), 0u);
}

TEST_F(SenderTest, UnauthorizedAndNotFoundStates) {
  int code = 401;
  Make(Options(), [&](const http::HttpRequest&) {
    return Answer(code, {}, R"({"code":"unauthorized","message":"unauthorized access"})");
  });
  source_.Append("m v=1 1\n");
  EXPECT_EQ(sender_->Step().kind, StepResult::kWait);
  EXPECT_EQ(sender_->Snapshot().state, State::kUnauthorized);
  EXPECT_NE(sender_->Snapshot().latest_error_message.find("unauthorized access"),
            std::string::npos);
  EXPECT_TRUE(HasMetric("edgerepl_replication_state{replication=\"r1\",state=\"Unauthorized\"} 1"));
  code = 403;
  (void)sender_->Step();
  EXPECT_EQ(sender_->Snapshot().state, State::kUnauthorized);
  code = 404;
  (void)sender_->Step();
  EXPECT_EQ(sender_->Snapshot().state, State::kNotFound);
  EXPECT_TRUE(HasMetric("edgerepl_replication_state{replication=\"r1\",state=\"Unauthorized\"} 0"));
  EXPECT_EQ(source_.acked(), 0u);
}

TEST_F(SenderTest, NonRetryableWithoutDropStallsUntilSkipHead) {
  Make(Options(), [](const http::HttpRequest&) {
    return Answer(400, {}, R"({"code":"invalid","message":"bad line"})");
  });
  source_.Append("bad v=1 1\n");
  source_.Append("good v=1 2\n");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(sender_->Step().kind, StepResult::kWait);
    EXPECT_EQ(sender_->Snapshot().state, State::kStalled);
  }
  EXPECT_EQ(source_.acked(), 0u);
  EXPECT_EQ(sender_->Snapshot().latest_response_code, 400);
  sender_->SkipHead();
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  EXPECT_EQ(source_.acked(), 2u);  // both records were in the head batch
  EXPECT_EQ(source_.dropped("skipped"), 2u);
  EXPECT_EQ(sender_->Snapshot().dropped_points.at("skipped"), 2u);
}

TEST_F(SenderTest, NonRetryableWithDropBisectsToTheRefusedLines) {
  SenderOptions o = Options();
  o.drop_non_retryable = true;
  std::vector<std::string> accepted;
  Make(o, [&](const http::HttpRequest& req) {
    std::string body = Inflate(req.body);
    if (body.find("bad") != std::string::npos) return Answer(400, {}, "refused");
    accepted.push_back(body);
    return Answer(204);
  });
  std::string payload;
  for (int i = 0; i < 16; ++i) {
    payload += (i == 3 || i == 11 ? "bad" : "ok") + std::string(" v=") + std::to_string(i) + " " +
               std::to_string(i) + "\n";
  }
  source_.Append(payload);
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  std::string all;
  for (auto& a : accepted) all += a;
  for (int i = 0; i < 16; ++i) {
    bool bad = i == 3 || i == 11;
    std::string line = std::string(bad ? "bad" : "ok") + " v=" + std::to_string(i) + " " +
                       std::to_string(i) + "\n";
    EXPECT_EQ(all.find(line) != std::string::npos, !bad) << line;
  }
  // Order is kept: line 4 arrives after line 2.
  EXPECT_LT(all.find("ok v=2 "), all.find("ok v=4 "));
  EXPECT_EQ(source_.dropped("non_retryable"), 2u);
  EXPECT_EQ(source_.acked(), 1u);
}

TEST_F(SenderTest, TooLargeHalvesAndResends) {
  std::vector<uint64_t> sizes;
  Make(Options(), [&](const http::HttpRequest& req) {
    std::string body = Inflate(req.body);
    uint64_t lines = std::count(body.begin(), body.end(), '\n');
    sizes.push_back(lines);
    return Answer(lines > 2 ? 413 : 204);
  });
  source_.Append("a v=1 1\nb v=1 1\nc v=1 1\nd v=1 1\ne v=1 1\n");
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  EXPECT_EQ(sizes, (std::vector<uint64_t>{5, 2, 3, 1, 2}));
  EXPECT_TRUE(HasMetric("edgerepl_remote_sent_points_total{replication=\"r1\"} 5"));
  EXPECT_EQ(source_.acked(), 1u);
}

// A 413 split is remembered: the batches after it are built at the size the remote took, so 50
// batches' worth of records cost the first batch's 413s, not more for each. Ten minutes later the
// limit grows back (doubling), which against an unchanged remote costs one more 413.
TEST_F(SenderTest, TooLargeIsRememberedForTheNextBatches) {
  SenderOptions o = Options();
  o.batch.max_bytes = 4000;
  int refused = 0;
  size_t largest_taken = 0;
  Make(o, [&](const http::HttpRequest& req) {
    std::string body = Inflate(req.body);
    if (body.size() > 1000) {
      ++refused;
      return Answer(413);
    }
    largest_taken = std::max(largest_taken, body.size());
    return Answer(204);
  });
  auto fill = [&](int from, int to) {
    for (int i = from; i < to; ++i)
      source_.Append("m,host=a v=" + std::to_string(1000 + i) + "i 1\n");
  };
  fill(0, 2000);  // 20 bytes each: 40,000 bytes, about 50 batches at the remote's limit
  // The first batch (4,000 bytes) is split until its parts fit: 4000, then each 2000 half and
  // its 1000+ quarter.
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  const int first = refused;
  EXPECT_GE(first, 3);
  EXPECT_LE(first, 5);
  int steps = 0;
  while (source_.acked() < source_.last_position() && steps++ < 1000) sender_->Step();
  EXPECT_EQ(source_.acked(), source_.last_position());
  EXPECT_EQ(refused, first);       // none of the batches after it
  EXPECT_GT(largest_taken, 900u);  // not shrunk further than the split needed
  EXPECT_GT(http_->requests.size(), 40u);
  EXPECT_LT(http_->requests.size(), 60u);

  clock_.Advance(std::chrono::minutes(10));
  fill(2000, 2400);
  steps = 0;
  while (source_.acked() < source_.last_position() && steps++ < 1000) sender_->Step();
  EXPECT_EQ(source_.acked(), source_.last_position());
  EXPECT_EQ(refused, first + 1);  // the doubled size, once; then the learned one again
}

TEST_F(SenderTest, OneLineTooLargeIsNonRetryable) {
  SenderOptions o = Options();
  o.drop_non_retryable = true;
  Make(o, [&](const http::HttpRequest& req) {
    return Answer(Inflate(req.body).find("huge") != std::string::npos ? 413 : 204);
  });
  source_.Append("a v=1 1\nhuge v=1 1\n");
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  EXPECT_EQ(source_.dropped("non_retryable"), 1u);
  EXPECT_EQ(source_.acked(), 1u);
}

TEST_F(SenderTest, SuspendKeepsQueueAndSendsNothing) {
  SenderOptions o = Options();
  o.suspend = true;
  Make(o, [](const http::HttpRequest&) { return Answer(204); });
  source_.Append("m v=1 1\n");
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
  EXPECT_EQ(sender_->Snapshot().state, State::kSuspended);
  EXPECT_TRUE(http_->requests.empty());
  sender_->SetSuspended(false);
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  EXPECT_EQ(source_.acked(), 1u);
}

// maxAgeSeconds, checked against the clock when a batch is built and while suspended: the first
// batch after an outage holds no expired record, and what aged out is counted `expired` and
// acknowledged so its space is freed.
TEST_F(SenderTest, RecordsOlderThanMaxAgeAreDroppedNotSent) {
  SenderOptions o = Options();
  o.max_age = std::chrono::seconds(5);
  int code = 503;
  Make(o, [&](const http::HttpRequest&) { return Answer(code); });
  source_.Append("old v=1 1\n", clock_.WallNowNanos());
  source_.Append("old v=2 2\n", clock_.WallNowNanos());
  EXPECT_EQ(sender_->Step().kind, StepResult::kWait);
  clock_.Advance(std::chrono::seconds(4));
  source_.Append("young v=3 3\n", clock_.WallNowNanos());
  clock_.Advance(std::chrono::seconds(2));  // the first two are 6 s old
  code = 204;
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  ASSERT_EQ(http_->requests.size(), 2u);
  EXPECT_EQ(Inflate(http_->requests[1].body), "young v=3 3\n");
  EXPECT_EQ(source_.dropped("expired"), 2u);
  EXPECT_EQ(sender_->Snapshot().dropped_points.at("expired"), 2u);
  EXPECT_EQ(source_.acked(), 3u);

  // Suspended: nothing is sent, and what ages out is dropped all the same.
  sender_->SetSuspended(true);
  source_.Append("held v=4 4\n", clock_.WallNowNanos());
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
  clock_.Advance(std::chrono::seconds(6));
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
  EXPECT_EQ(source_.acked(), 3u);  // not read yet: the source's ExpireUnread is its own
  sender_->SetSuspended(false);
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
  EXPECT_EQ(http_->requests.size(), 2u);
  EXPECT_EQ(source_.dropped("expired"), 3u);
  EXPECT_EQ(source_.acked(), 4u);
}

TEST_F(SenderTest, QueueFullStateWhileSending) {
  Make(Options(), [](const http::HttpRequest&) { return Answer(500); });
  source_.full_ = true;
  source_.Append("m v=1 1\n", clock_.WallNowNanos() - 5'000'000'000);
  (void)sender_->Step();
  auto st = sender_->Snapshot();
  EXPECT_EQ(st.state, State::kQueueFull);
  EXPECT_DOUBLE_EQ(st.oldest_pending_age_seconds, 5.0);
}

TEST_F(SenderTest, SplitRecordAcknowledgedOnlyAfterLastPart) {
  SenderOptions o = Options();
  o.batch.max_points = 2;
  Make(o, [](const http::HttpRequest&) { return Answer(204); });
  source_.Append("a v=1 1\nb v=1 1\nc v=1 1\n");
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  EXPECT_EQ(source_.acked(), 0u);
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  EXPECT_EQ(source_.acked(), 1u);
  ASSERT_EQ(http_->requests.size(), 2u);
  EXPECT_EQ(Inflate(http_->requests[1].body), "c v=1 1\n");
}

// Hands out one record per read, so the test sees when the sender reads ahead.
class OneRecordPerRead final : public testing::ForwardingSource {
 public:
  explicit OneRecordPerRead(MemorySource& inner) : ForwardingSource(inner) {}
  Result<std::vector<SourceRecord>> ReadNext(size_t) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++reads;
    }
    cv.notify_all();
    return ForwardingSource::ReadNext(1);
  }

  std::mutex mu;
  std::condition_variable cv;
  int reads = 0;
};

// With one request in flight, the batch behind it is read, merged and gzipped while the request is
// out (the first answer waits for that read), and is sent only after the answer; a failed head
// throws the prepared batch away and is sent again first.
TEST_F(SenderTest, OneInFlightPreparesTheNextBatchDuringTheRequest) {
  OneRecordPerRead source(source_);
  http_ = std::make_unique<FakeHttpClient>([&](const http::HttpRequest&) {
    if (http_->requests.size() == 1) {
      std::unique_lock<std::mutex> lock(source.mu);
      bool read_ahead =
          source.cv.wait_for(lock, std::chrono::seconds(10), [&] { return source.reads >= 2; });
      EXPECT_TRUE(read_ahead) << "the next batch was not read while the request was out";
    }
    return Answer(http_->requests.size() == 2 ? 503 : 204);
  });
  metrics_ = std::make_unique<SenderMetrics>(registry_, "r1");
  sender_ = std::make_unique<Sender>(Options(), *http_, source, clock_, random_, *metrics_);
  for (int i = 1; i <= 3; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  EXPECT_EQ(source_.acked(), 1u);
  ASSERT_EQ(http_->requests.size(), 1u);
  EXPECT_EQ(sender_->Step().kind, StepResult::kWait);  // the prepared batch {2} answered 503
  EXPECT_EQ(source_.acked(), 1u);
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);  // the head again, merged afresh
  EXPECT_EQ(source_.acked(), 3u);
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
  std::vector<std::string> bodies;
  for (const http::HttpRequest& r : http_->requests) bodies.push_back(Inflate(r.body));
  EXPECT_EQ(bodies, (std::vector<std::string>{"m v=1 1\n", "m v=2 1\n", "m v=2 1\nm v=3 1\n"}));
}

TEST_F(SenderTest, LingerWaitsForAFullerBatchButNeverLongerThanTheOldestRecordAllows) {
  SenderOptions o = Options();
  o.linger = milliseconds(50);
  o.batch.max_points = 4;
  Make(o, [](const http::HttpRequest&) { return Answer(204); });
  auto now = [&] { return clock_.WallNowNanos(); };
  source_.Append("m v=1 1\n", now());
  clock_.Advance(milliseconds(20));
  // 20 ms old, one point of four: wait the 30 ms left, send nothing.
  StepResult r = sender_->Step();
  EXPECT_EQ(r.kind, StepResult::kWait);
  EXPECT_EQ(r.delay, milliseconds(30));
  EXPECT_TRUE(http_->requests.empty());
  source_.Append("m v=2 2\n", now());
  clock_.Advance(milliseconds(30));
  // The oldest is now 50 ms old: both go in one request.
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  ASSERT_EQ(http_->requests.size(), 1u);
  EXPECT_EQ(Inflate(http_->requests[0].body), "m v=1 1\nm v=2 2\n");
  EXPECT_EQ(source_.acked(), 2u);

  // A full batch leaves at once, however young.
  source_.Append("m v=3 3\nm v=4 4\nm v=5 5\nm v=6 6\n", now());
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  EXPECT_EQ(http_->requests.size(), 2u);
  // A record stamped in the future (a clock step) waits at most the linger itself.
  source_.Append("m v=7 7\n", now() + 3600 * 1000000000LL);
  r = sender_->Step();
  EXPECT_EQ(r.kind, StepResult::kWait);
  EXPECT_EQ(r.delay, milliseconds(50));
}

// DESIGN §6: Idle means nothing pending. A replication lingering for a fuller batch, or waiting
// on its first request (a remote or its DNS hanging until the timeout), is sending.
TEST_F(SenderTest, PendingPointsAreNeverReportedIdle) {
  SenderOptions o = Options();
  o.linger = milliseconds(50);
  std::optional<State> during_request;
  Make(o, [&](const http::HttpRequest&) {
    during_request = sender_->Snapshot().state;
    return Answer(204);
  });
  EXPECT_EQ(sender_->Snapshot().state, State::kIdle);
  source_.Append("m v=1 1\n", clock_.WallNowNanos());
  EXPECT_EQ(sender_->Step().kind, StepResult::kWait);  // lingering
  EXPECT_EQ(sender_->Snapshot().state, State::kReplicating);
  clock_.Advance(milliseconds(50));
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  ASSERT_TRUE(during_request.has_value());
  EXPECT_EQ(*during_request, State::kReplicating);
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
  EXPECT_EQ(sender_->Snapshot().state, State::kIdle);
}

TEST_F(SenderTest, LingerDoesNotDelayARetryOrASkip) {
  SenderOptions o = Options();
  o.linger = milliseconds(50);
  int calls = 0;
  Make(o, [&](const http::HttpRequest&) { return Answer(++calls == 1 ? 503 : 204); });
  source_.Append("m v=1 1\n", clock_.WallNowNanos() - 60 * 1000000LL);
  StepResult r = sender_->Step();  // old enough: sent, refused
  ASSERT_EQ(r.kind, StepResult::kWait);
  EXPECT_EQ(http_->requests.size(), 1u);
  source_.Append("m v=2 2\n", clock_.WallNowNanos());
  clock_.Advance(r.delay);
  // The head is the old record: the retry goes at once and takes the young one along.
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  EXPECT_EQ(http_->requests.size(), 2u);
  EXPECT_EQ(source_.acked(), 2u);
  source_.Append("m v=3 3\n", clock_.WallNowNanos());
  sender_->SkipHead();
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);  // skipped now, not after the linger
  EXPECT_EQ(source_.acked(), 3u);
  EXPECT_EQ(http_->requests.size(), 2u);
}

TEST_F(SenderTest, AgentConfigLingers) {
  EXPECT_EQ(SenderOptions().linger, milliseconds(0));
  config::RemoteConfig remote;
  config::ReplicationConfig replication;
  EXPECT_EQ(SenderOptionsFromConfig(remote, replication).linger, kDefaultBatchLinger);
}

TEST_F(SenderTest, MetricsRemovedWithReplication) {
  Make(Options(), [](const http::HttpRequest&) { return Answer(204); });
  source_.Append("m v=1 1\n");
  (void)sender_->Step();
  EXPECT_TRUE(HasMetric("replication=\"r1\""));
  sender_.reset();
  metrics_.reset();
  EXPECT_FALSE(HasMetric("replication=\"r1\""));
}

TEST_F(SenderTest, ThreadDeliversAndRetryNowEndsAWait) {
  SenderOptions o = Options();
  o.backoff_min = std::chrono::hours(1);  // only RetryNow can end this wait in time
  o.backoff_max = std::chrono::hours(1);
  std::atomic<int> calls{0};
  Make(o, [&](const http::HttpRequest&) { return Answer(++calls == 1 ? 500 : 204); });
  source_.Append("m v=1 1\n");
  sender_->Start();
  while (calls.load() < 1) std::this_thread::sleep_for(milliseconds(1));
  // A new write must not cut the wait short.
  source_.Append("m v=2 2\n");
  sender_->NotifyAppended();
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(calls.load(), 1);
  sender_->RetryNow();
  for (int i = 0; i < 2000 && source_.acked() < 2; ++i)
    std::this_thread::sleep_for(milliseconds(1));
  EXPECT_EQ(source_.acked(), 2u);
  sender_->Stop();
}

}  // namespace
}  // namespace edgerepl::sender

namespace edgerepl::sender {
namespace {

using testing::Answer;
using testing::FakeClock;
using testing::MaxRandom;
using testing::MemorySource;

// A thread-safe handler for pipelined requests: fails the bodies containing `fail`, counts the
// requests in flight at once, and holds a body containing `hold` until one containing `release`
// arrives (or a few seconds pass, which the tests then see in `hold_timed_out`).
class PipelineTest : public ::testing::Test {
 protected:
  class Client final : public http::HttpClient {
   public:
    Client(std::string fail, std::string hold, std::string release)
        : fail_(std::move(fail)), hold_(std::move(hold)), release_(std::move(release)) {}
    Result<http::HttpResponse> Send(const http::HttpRequest& req) override {
      std::string body = codec::GzipDecompress(req.body, 1 << 28).value();
      std::unique_lock<std::mutex> lock(mu);
      bodies.push_back(body);
      max_concurrent = std::max(max_concurrent, ++concurrent);
      if (!release_.empty() && body.find(release_) != std::string::npos) {
        released = true;
        cv.notify_all();
      }
      if (!hold_.empty() && body.find(hold_) != std::string::npos) {
        if (!cv.wait_for(lock, hold_timeout, [this] { return released; })) {
          hold_timed_out = true;
        }
        bodies_before_held_answer = bodies.size();
        held_answered = true;
      }
      if (body.find("v=0 ") == std::string::npos) {
        // Later requests linger a little, so the window really holds several at once.
        lock.unlock();
        std::this_thread::sleep_for(milliseconds(5));
        lock.lock();
      }
      --concurrent;
      if (!fail_.empty() && body.find(fail_) != std::string::npos) return Answer(503);
      return Answer(204);
    }
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::string> bodies;
    int concurrent = 0;
    int max_concurrent = 0;
    bool released = false;
    bool hold_timed_out = false;
    bool held_answered = false;
    size_t bodies_before_held_answer = 0;  // requests sent while the held one was out
    milliseconds hold_timeout{5000};

   private:
    std::string fail_, hold_, release_;
  };

  // `source` stands in front of source_ when given.
  void Run(int max_in_flight, const std::string& fail, const std::string& hold = "",
           const std::string& release = "", RecordSource* source = nullptr, size_t max_bytes = 0) {
    client_ = std::make_unique<Client>(fail, hold, release);
    SenderOptions o;
    o.replication_name = "p";
    o.bucket = "b";
    o.batch.max_points = 2;
    if (max_bytes > 0) o.batch.max_bytes = max_bytes;
    o.max_in_flight = max_in_flight;
    o.adapt_in_flight = adapt_;
    o.cursor_interval = cursor_interval_;
    metrics_ = std::make_unique<SenderMetrics>(registry_, "p");
    sender_ = std::make_unique<Sender>(o, *client_, source ? *source : source_, clock_, random_,
                                       *metrics_);
  }
  // Steps until `acked` records are acknowledged or `max_steps` were taken; the acked count after
  // each step must never go down.
  int StepUntilAcked(uint64_t acked, int max_steps) {
    uint64_t before = source_.acked();
    int steps = 0;
    while (source_.acked() < acked && steps < max_steps) {
      EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
      EXPECT_GE(source_.acked(), before);
      before = source_.acked();
      ++steps;
    }
    return steps;
  }
  // The window tests below use a fixed window of max_in_flight requests; the adaptive ones set it.
  bool adapt_ = false;
  milliseconds cursor_interval_{0};
  prometheus::Registry registry_;
  MemorySource source_;
  FakeClock clock_;
  MaxRandom random_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<SenderMetrics> metrics_;
  std::unique_ptr<Sender> sender_;
};

TEST_F(PipelineTest, KeepsUpToMaxInFlightRequestsAndAcksInOrder) {
  Run(4, "");
  for (int i = 0; i < 20; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  // A step acknowledges every batch answered since the last, so at most ten steps for ten batches.
  EXPECT_LE(StepUntilAcked(20, 20), 10);
  EXPECT_EQ(source_.acked(), 20u);
  EXPECT_EQ(client_->bodies.size(), 10u);
  EXPECT_LE(client_->max_concurrent, 4);
  EXPECT_GE(client_->max_concurrent, 2);
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
}

// The window slides: the next batch starts as soon as the oldest is answered, while a slower one
// behind it is still in flight. A step that waited for all of its requests could not finish here.
TEST_F(PipelineTest, StartsTheNextBatchWhileALaterOneIsStillInFlight) {
  Run(2, "", /*hold=*/"v=2 ", /*release=*/"v=4 ");
  for (int i = 0; i < 6; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  EXPECT_LE(StepUntilAcked(6, 6), 3);
  EXPECT_FALSE(client_->hold_timed_out);
  EXPECT_EQ(source_.acked(), 6u);
}

TEST_F(PipelineTest, FailureInTheMiddleAcksOnlyTheBatchesBeforeIt) {
  Run(4, "v=4 ");
  for (int i = 0; i < 10; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  StepResult r;
  for (int i = 0; i < 10; ++i) {
    r = sender_->Step();
    if (r.kind != StepResult::kContinue) break;
  }
  EXPECT_EQ(r.kind, StepResult::kWait);
  EXPECT_EQ(source_.acked(), 4u);  // batches {0,1} and {2,3}; {4,5} failed; later ones resent
  EXPECT_EQ(sender_->Snapshot().state, State::kBackoff);
  EXPECT_EQ(sender_->Snapshot().latest_response_code, 503);
  EXPECT_EQ(sender_->Snapshot().consecutive_failures, 1u);
}

TEST_F(PipelineTest, EachBatchIsSentExactlyOnceWithoutFailures) {
  Run(3, "");
  for (int i = 0; i < 8; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  EXPECT_LE(StepUntilAcked(8, 8), 4);
  std::vector<std::string> sorted = client_->bodies;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"m v=0 1\nm v=1 1\n", "m v=2 1\nm v=3 1\n",
                                              "m v=4 1\nm v=5 1\n", "m v=6 1\nm v=7 1\n"}));
}

TEST_F(PipelineTest, SplitRecordAcrossParallelBatches) {
  Run(3, "");
  source_.Append("a v=1 1\nb v=1 1\nc v=1 1\nd v=1 1\ne v=1 1\n");
  source_.Append("f v=1 1\n");
  EXPECT_LE(StepUntilAcked(2, 3), 3);
  EXPECT_EQ(source_.acked(), 2u);
  std::vector<std::string> sorted = client_->bodies;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"a v=1 1\nb v=1 1\n", "c v=1 1\nd v=1 1\n",
                                              "e v=1 1\nf v=1 1\n"}));
}

TEST_F(PipelineTest, SkipDropsTheHeadBatchThenPipeliningResumesBehindIt) {
  Run(3, "v=0 ");
  for (int i = 0; i < 10; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  StepResult r;
  for (int i = 0; i < 5 && (r = sender_->Step()).kind == StepResult::kContinue; ++i) {
  }
  EXPECT_EQ(r.kind, StepResult::kWait);
  EXPECT_EQ(source_.acked(), 0u);
  sender_->SkipHead();
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  EXPECT_EQ(source_.acked(), 2u);
  EXPECT_EQ(sender_->Snapshot().dropped_points.at(std::string(kDropSkipped)), 2u);
  EXPECT_LE(StepUntilAcked(10, 8), 4);
  EXPECT_EQ(source_.acked(), 10u);
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
}

TEST_F(PipelineTest, SuspendWaitsForRequestsInFlightAndStartsNoMore) {
  Run(2, "");
  for (int i = 0; i < 20; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  EXPECT_EQ(sender_->Step().kind, StepResult::kContinue);
  EXPECT_GE(source_.acked(), 2u);
  sender_->SetSuspended(true);
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
  // Every request that was out was answered and acknowledged; nothing else was sent.
  size_t sent = client_->bodies.size();
  EXPECT_GE(sent, 3u);
  EXPECT_LT(sent, 10u);
  EXPECT_EQ(source_.acked(), 2 * sent);
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
  EXPECT_EQ(client_->bodies.size(), sent);
  EXPECT_EQ(sender_->Snapshot().state, State::kSuspended);
}

// Batches answered behind a slow oldest one free their request slots at once: the window holds
// them until the oldest is answered. With a window of a few batches the sender could never send
// the sixth batch (which releases the first) while the first is out.
TEST_F(PipelineTest, AnswersBehindASlowOldestRequestDoNotHoldTheSlots) {
  // Fails the test if any batch is acknowledged before the held first one is answered.
  class OrderCheckingSource final : public testing::ForwardingSource {
   public:
    OrderCheckingSource(MemorySource& inner, std::unique_ptr<Client>& client)
        : ForwardingSource(inner), client_(client) {}
    Status Ack(uint64_t position) override {
      {
        std::lock_guard<std::mutex> lock(client_->mu);
        if (!client_->held_answered) acked_early = true;
      }
      return ForwardingSource::Ack(position);
    }
    std::atomic<bool> acked_early{false};

   private:
    std::unique_ptr<Client>& client_;
  };
  OrderCheckingSource source(source_, client_);
  Run(2, "", /*hold=*/"v=0 ", /*release=*/"v=10 ", &source);
  for (int i = 0; i < 14; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  StepUntilAcked(14, 40);
  EXPECT_FALSE(client_->hold_timed_out);
  EXPECT_FALSE(source.acked_early);
  EXPECT_EQ(source_.acked(), 14u);
  EXPECT_LE(client_->max_concurrent, 2);
  EXPECT_EQ(client_->bodies.size(), 7u);  // nothing failed, so nothing was sent twice
}

// With a head request that is never released, the window fills and stops: max_in_flight requests
// out plus at most kMaxWaitingBatches answered ones, however small the batches.
TEST_F(PipelineTest, TinyBatchesWaitAtMostTheBoundBehindTheOldest) {
  // 10 bytes: one line per batch, while the read-ahead (bounded in bytes) still covers the window.
  Run(2, "", /*hold=*/"v=0 ", /*release=*/"never sent", nullptr, /*max_bytes=*/10);
  client_->hold_timeout = milliseconds(3000);  // the other 65 take 5 ms each, one at a time
  for (int i = 0; i < 100; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  StepUntilAcked(100, 200);
  EXPECT_TRUE(client_->hold_timed_out);
  EXPECT_EQ(client_->bodies_before_held_answer, 2 + kMaxWaitingBatches);
  EXPECT_EQ(source_.acked(), 100u);
  EXPECT_EQ(client_->bodies.size(), 100u);  // one line per batch, each sent once
}

// Batches over 16 MiB never wait behind the oldest: a slot frees only when it is answered.
TEST_F(PipelineTest, HugeBatchesDoNotWaitBehindTheOldest) {
  Run(2, "", /*hold=*/"v=0 ", /*release=*/"never sent", nullptr,
      /*max_bytes=*/kWindowBytes + 1);
  client_->hold_timeout = milliseconds(1000);
  for (int i = 0; i < 8; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  StepUntilAcked(8, 20);
  EXPECT_TRUE(client_->hold_timed_out);
  EXPECT_EQ(client_->bodies_before_held_answer, 2u);
  EXPECT_EQ(source_.acked(), 8u);
}

// The cursor is stored on another thread while the sender keeps the slots busy: a cursor store
// that takes as long as several requests (fsyncs on a busy disk) does not stop the sending.
TEST_F(PipelineTest, ASlowCursorStoreDoesNotStopTheRequests) {
  // The first Ack waits until the batch holding v=8 (the fifth) was sent, at most 5 s.
  class SlowAckSource final : public testing::ForwardingSource {
   public:
    SlowAckSource(MemorySource& inner, std::unique_ptr<Client>& client)
        : ForwardingSource(inner), client_(client) {}
    Status Ack(uint64_t position) override {
      if (!waited_) {
        waited_ = true;
        std::unique_lock<std::mutex> lock(client_->mu);
        for (int i = 0; i < 500 && !Sent(" v=8 "); ++i) {
          lock.unlock();
          std::this_thread::sleep_for(milliseconds(10));
          lock.lock();
        }
        if (!Sent(" v=8 ")) ack_timed_out = true;
      }
      return ForwardingSource::Ack(position);
    }
    std::atomic<bool> ack_timed_out{false};

   private:
    // REQUIRES: client_->mu held.
    bool Sent(const std::string& needle) const {
      for (const std::string& b : client_->bodies) {
        if (("\n" + b).find("\nm" + needle) != std::string::npos) return true;
      }
      return false;
    }
    std::unique_ptr<Client>& client_;
    bool waited_ = false;  // the acknowledging thread's only
  };
  SlowAckSource source(source_, client_);
  Run(2, "", "", "", &source);
  for (int i = 0; i < 12; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  StepUntilAcked(12, 12);
  EXPECT_FALSE(source.ack_timed_out);
  EXPECT_EQ(source_.acked(), 12u);
  EXPECT_EQ(client_->bodies.size(), 6u);
}

// Adaptive (the agent's default): a backlog grows the window from one request towards
// max_in_flight, and every batch still goes once, acknowledged in order.
TEST_F(PipelineTest, AdaptiveWindowGrowsWhileABacklogDrains) {
  adapt_ = true;
  Run(4, "");
  for (int i = 0; i < 60; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  StepUntilAcked(60, 60);
  EXPECT_EQ(source_.acked(), 60u);
  EXPECT_EQ(client_->bodies.size(), 30u);
  EXPECT_GE(client_->max_concurrent, 2);
  EXPECT_LE(client_->max_concurrent, 4);
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
}

// Once the backlog is drained the window is back at one request: two batches queued later go out
// one after the other (a window left at four would send them at once), so a replication that
// keeps up keeps its order at the remote.
TEST_F(PipelineTest, AdaptiveWindowIsBackAtOneAfterTheBacklog) {
  adapt_ = true;
  Run(4, "");
  for (int i = 0; i < 40; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  StepUntilAcked(40, 40);
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
  EXPECT_GE(client_->max_concurrent, 2);
  {
    std::lock_guard<std::mutex> lock(client_->mu);
    client_->max_concurrent = 0;
  }
  for (int i = 40; i < 44; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  StepUntilAcked(44, 4);
  EXPECT_EQ(source_.acked(), 44u);
  EXPECT_EQ(client_->max_concurrent, 1);
}

// The limit is exported as it moves: above one while the backlog lasts, one once it is drained; a
// fixed window shows maxInFlight throughout.
TEST_F(PipelineTest, TheInFlightLimitIsExportedAsItAdapts) {
  auto limit = [&] {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, registry_.Collect());
    const std::string text = out.str();
    const std::string key = "edgerepl_remote_in_flight_limit{replication=\"p\"} ";
    const size_t at = text.find(key);
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + key.size()));
  };
  adapt_ = true;
  Run(4, "");
  EXPECT_EQ(limit(), 1);
  for (int i = 0; i < 60; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  double highest = 0;
  while (source_.acked() < 60) {
    ASSERT_EQ(sender_->Step().kind, StepResult::kContinue);
    highest = std::max(highest, limit());
  }
  EXPECT_GE(highest, 2);
  EXPECT_LE(highest, 4);
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
  EXPECT_EQ(limit(), 1);

  adapt_ = false;
  sender_.reset();
  metrics_.reset();  // its series go before the next sender's are made
  Run(3, "");
  EXPECT_EQ(limit(), 3);
}

// A failure drops the adaptive window back to one request: after the backoff the failed batch goes
// out alone, and the window grows again only as the remote takes batches.
TEST_F(PipelineTest, AdaptiveWindowFallsBackToOneAfterAFailure) {
  adapt_ = true;
  Run(4, "v=20 ");
  for (int i = 0; i < 40; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  StepResult r;
  for (int i = 0; i < 40 && (r = sender_->Step()).kind == StepResult::kContinue; ++i) {
  }
  EXPECT_EQ(r.kind, StepResult::kWait);
  EXPECT_EQ(source_.acked(), 20u);
  {
    std::lock_guard<std::mutex> lock(client_->mu);
    client_->max_concurrent = 0;
  }
  // Still failing: exactly one request went out, the failed batch.
  size_t before = client_->bodies.size();
  EXPECT_EQ(sender_->Step().kind, StepResult::kWait);
  EXPECT_EQ(client_->bodies.size(), before + 1);
  EXPECT_EQ(client_->bodies.back(), "m v=20 1\nm v=21 1\n");
  EXPECT_EQ(client_->max_concurrent, 1);
}

// Counts the cursor stores.
class CountingSource final : public testing::ForwardingSource {
 public:
  using ForwardingSource::ForwardingSource;
  Status Ack(uint64_t position) override {
    ++stores;
    return ForwardingSource::Ack(position);
  }
  std::atomic<int> stores{0};
};

// With a cursor interval (the agent's 100 ms) the stores while requests are out are coalesced:
// the clock stands still here, so only the first store and the one once nothing is out are due.
TEST_F(PipelineTest, CursorIntervalCoalescesStoresUntilNothingIsOut) {
  CountingSource source(source_);
  cursor_interval_ = milliseconds(100);
  Run(4, "", "", "", &source);
  for (int i = 0; i < 40; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  StepUntilAcked(40, 40);
  EXPECT_EQ(source_.acked(), 40u);
  EXPECT_EQ(client_->bodies.size(), 20u);
  EXPECT_LE(source.stores.load(), 3);
  EXPECT_EQ(sender_->Step().kind, StepResult::kIdle);
}

// A failure stores what was answered before it at once, not after the interval.
TEST_F(PipelineTest, CursorIntervalStoresBeforeAFailureWaits) {
  CountingSource source(source_);
  cursor_interval_ = milliseconds(100);
  Run(4, "v=20 ", "", "", &source);
  for (int i = 0; i < 40; ++i) source_.Append("m v=" + std::to_string(i) + " 1\n");
  StepResult r;
  for (int i = 0; i < 40 && (r = sender_->Step()).kind == StepResult::kContinue; ++i) {
  }
  EXPECT_EQ(r.kind, StepResult::kWait);
  EXPECT_EQ(source_.acked(), 20u);
}

TEST(InFlightLimitTest, GrowsOnlyWithABacklogUpToTheCeiling) {
  InFlightLimit limit(3, true);
  EXPECT_EQ(limit.current(), 1);
  limit.Succeeded(milliseconds(10), /*backlog=*/false);
  EXPECT_EQ(limit.current(), 1);
  for (int i = 0; i < 5; ++i) limit.Succeeded(milliseconds(10), true);
  EXPECT_EQ(limit.current(), 3);
}

TEST(InFlightLimitTest, SlowAnswersShrinkFailuresAndDrainingReset) {
  InFlightLimit limit(8, true);
  for (int i = 0; i < 8; ++i) limit.Succeeded(milliseconds(10), true);
  EXPECT_EQ(limit.current(), 8);
  limit.Succeeded(kSlowAnswer, true);
  EXPECT_EQ(limit.current(), 7);
  limit.Failed();
  EXPECT_EQ(limit.current(), 1);
  limit.Succeeded(kSlowAnswer, true);
  EXPECT_EQ(limit.current(), 1);  // never below one
  limit.Succeeded(milliseconds(10), true);
  limit.Succeeded(milliseconds(10), true);
  EXPECT_EQ(limit.current(), 3);
  limit.Drained();
  EXPECT_EQ(limit.current(), 1);
}

TEST(InFlightLimitTest, FixedStaysAtTheCeiling) {
  InFlightLimit limit(4, false);
  EXPECT_EQ(limit.current(), 4);
  limit.Failed();
  limit.Drained();
  limit.Succeeded(kSlowAnswer, true);
  EXPECT_EQ(limit.current(), 4);
}

}  // namespace
}  // namespace edgerepl::sender

namespace edgerepl::sender {
namespace {

TEST(FromConfigTest, MapsRemoteAndReplication) {
  config::RemoteConfig remote;
  remote.url = "https://cloud.example/prefix";
  remote.org_id = "o1";
  remote.token = "t";
  remote.protocol = config::Protocol::kV1;
  remote.ca_file = "/ca.pem";
  remote.insecure_skip_verify = true;
  remote.timeout = std::chrono::seconds(7);
  config::ReplicationConfig rep;
  rep.name = "r";
  rep.remote_bucket_id = "b1";
  rep.drop_non_retryable_data = true;
  rep.max_in_flight = 3;
  rep.batch.max_points = 10;
  SenderOptions o = SenderOptionsFromConfig(remote, rep);
  EXPECT_EQ(o.protocol, Protocol::kV1);
  EXPECT_TRUE(o.bucket_is_id);
  EXPECT_EQ(o.bucket, "b1");
  EXPECT_TRUE(o.drop_non_retryable);
  EXPECT_EQ(o.max_in_flight, 3);
  EXPECT_EQ(o.batch.max_points, 10u);
  http::HttpClientOptions h = HttpOptionsFromConfig(remote);
  EXPECT_EQ(h.base_url, "https://cloud.example/prefix");
  EXPECT_EQ(h.timeout, std::chrono::milliseconds(7000));
  EXPECT_EQ(h.tls.ca_file, "/ca.pem");
  EXPECT_TRUE(h.tls.insecure_skip_verify);
}

}  // namespace
}  // namespace edgerepl::sender

namespace edgerepl::sender {
namespace {

// Regression: a retry-now while suspended used to make the idle wait return at once, spinning.
TEST(SenderThreadTest, SuspendedSenderDoesNotSpinOnRetryNow) {
  prometheus::Registry registry;
  testing::MemorySource source;
  testing::FakeClock clock;
  testing::MaxRandom random;
  std::atomic<int> calls{0};
  testing::FakeHttpClient http([&](const http::HttpRequest&) {
    ++calls;
    return testing::Answer(204);
  });
  SenderMetrics metrics(registry, "s");
  SenderOptions o;
  o.replication_name = "s";
  o.suspend = true;
  Sender sender(o, http, source, clock, random, metrics);
  source.Append("m v=1 1\n");
  sender.Start();
  sender.RetryNow();
  sender.SkipHead();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(sender.Snapshot().state, State::kSuspended);
  EXPECT_EQ(source.acked(), 0u);
  sender.SetSuspended(false);
  for (int i = 0; i < 2000 && source.acked() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(source.acked(), 1u);
  // The skip asked for while suspended applies once sending resumes.
  EXPECT_EQ(source.dropped("skipped"), 1u);
  EXPECT_EQ(calls.load(), 0);
  sender.Stop();
}

}  // namespace
}  // namespace edgerepl::sender
