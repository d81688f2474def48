// The queue behind the real Sender: records flow to the remote end to end, and the cursor moves
// only when the remote acknowledged.
#include "agent/queue/queue_source.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "agent/sender/sender.h"
#include "common/codec/gzip.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/queue/queue_test_util.h"
#include "tests/unit/sender/test_doubles.h"

namespace edgerepl::queue {
namespace {

using sender::testing::Answer;
using sender::testing::FakeHttpClient;
using sender::testing::MaxRandom;

class QueueSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.dir = dir_.Join("q");
    options_.segment_bytes = 4096;
    Reopen();
  }
  void Reopen() {
    sender_.reset();
    source_.reset();
    queue_.reset();
    auto q = Queue::Open(options_, PosixFileSystem(), clock_, nullptr);
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    queue_ = std::move(*q);
    source_ = std::make_unique<QueueSource>(*queue_);
    sender::SenderOptions so;
    so.replication_name = "r1";
    so.org_id = "org";
    so.bucket = "b";
    so.batch.max_bytes = 300;
    sender_ = std::make_unique<sender::Sender>(so, http_, *source_, clock_, random_, metrics_);
  }
  std::string Body(size_t i) {
    return codec::GzipDecompress(http_.requests.at(i).body, 1 << 20).value();
  }

  edgerepl::testing::TempDir dir_;
  QueueOptions options_;
  testing::FakeClock clock_;
  MaxRandom random_;
  prometheus::Registry registry_;
  sender::SenderMetrics metrics_{registry_, "r1"};
  int answer_ = 204;
  FakeHttpClient http_{[this](const http::HttpRequest&) { return Answer(answer_); }};
  std::unique_ptr<Queue> queue_;
  std::unique_ptr<QueueSource> source_;
  std::unique_ptr<sender::Sender> sender_;
};

TEST_F(QueueSourceTest, RecordsFlowToTheRemoteInOrderAcrossSegments) {
  std::string want;
  for (int i = 0; i < 60; ++i) {
    std::string line = "m,host=a v=" + std::to_string(i) + "i " + std::string(50, '1') + "\n";
    ASSERT_TRUE(queue_->Append(line, 1).ok());
    want += line;
  }
  for (int i = 0; i < 100 && queue_->Stats().pending_records > 0; ++i) sender_->Step();
  std::string got;
  for (size_t i = 0; i < http_.requests.size(); ++i) got += Body(i);
  EXPECT_EQ(got, want);
  EXPECT_GT(http_.requests.size(), 5u);  // batched by batch.max_bytes
  EXPECT_EQ(queue_->Stats().pending_records, 0u);
  EXPECT_EQ(testing::SegmentFiles(options_.dir).size(), 1u);
  Reopen();
  EXPECT_TRUE(queue_->ReadNext(1 << 20)->empty());
}

// An outage longer than maxAgeSeconds: the records the sender held and those it never read are
// dropped, each counted `expired` once, and the first batch after the outage holds only young ones.
TEST_F(QueueSourceTest, MaxAgeOutageEndsWithOnlyYoungRecordsSent) {
  options_.max_age_seconds = 5;
  Reopen();
  sender::SenderOptions so;
  so.replication_name = "r1";
  so.org_id = "org";
  so.bucket = "b";
  so.batch.max_bytes = 30;  // the sender holds two batches: the rest stays unread in the queue
  so.max_age = std::chrono::seconds(5);
  sender_ = std::make_unique<sender::Sender>(so, http_, *source_, clock_, random_, metrics_);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(queue_->Append("m v=" + std::to_string(i) + "i 1\n", 1).ok());
  }
  answer_ = 503;
  EXPECT_EQ(sender_->Step().kind, sender::StepResult::kWait);
  clock_.Advance(std::chrono::seconds(3));
  ASSERT_TRUE(queue_->Append("m v=100i 1\n", 1).ok());
  EXPECT_EQ(sender_->Step().kind, sender::StepResult::kWait);
  clock_.Advance(std::chrono::seconds(3));  // the first 20 are 6 s old, the last 3 s
  ASSERT_TRUE(queue_->Append("m v=101i 1\n", 1).ok());
  answer_ = 204;
  const size_t before = http_.requests.size();
  for (int i = 0; i < 10 && queue_->Stats().pending_records > 0; ++i) sender_->Step();
  ASSERT_EQ(http_.requests.size(), before + 1);
  EXPECT_EQ(Body(before), "m v=100i 1\nm v=101i 1\n");
  QueueStats s = queue_->Stats();
  EXPECT_EQ(testing::Dropped(s, "expired"), 20u);
  EXPECT_EQ(s.pending_records, 0u);
  EXPECT_EQ(s.bytes, 0u);
}

TEST_F(QueueSourceTest, CursorStaysUntilTheRemoteAcknowledges) {
  ASSERT_TRUE(queue_->Append("m v=1i 1\n", 1).ok());
  ASSERT_TRUE(queue_->Append("m v=2i 2\n", 1).ok());
  answer_ = 503;
  sender_->Step();
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(queue_->Stats().pending_records, 2u);
  Reopen();  // a crash now resends both
  answer_ = 204;
  sender_->Step();
  ASSERT_EQ(http_.requests.size(), 2u);
  EXPECT_EQ(Body(1), "m v=1i 1\nm v=2i 2\n");
  EXPECT_EQ(queue_->Stats().pending_records, 0u);
  Reopen();
  EXPECT_TRUE(queue_->ReadNext(1 << 20)->empty());
}

TEST_F(QueueSourceTest, SenderDropsAndFullnessReachTheQueue) {
  source_->ReportDropped(3, 30, "non_retryable");
  EXPECT_EQ(testing::Dropped(queue_->Stats(), "non_retryable"), 3u);
  EXPECT_FALSE(source_->Full());
  queue_->SetLimits(10, 0);
  EXPECT_TRUE(queue_->Append("m v=1i 1\n", 1).IsNoSpace());
  EXPECT_TRUE(source_->Full());
}

}  // namespace
}  // namespace edgerepl::queue
