#include "agent/sender/batcher.h"

#include <gtest/gtest.h>

#include "agent/deletes/delete_spec.h"

namespace edgerepl::sender {
namespace {

SourceRecord Rec(uint64_t pos, std::string payload, uint32_t points) {
  SourceRecord r;
  r.position = pos;
  r.enqueue_time_ns = static_cast<int64_t>(pos) * 10;
  r.payload = std::move(payload);
  r.points = points;
  return r;
}

TEST(BatcherTest, MergesSmallRecords) {
  std::deque<SourceRecord> q = {Rec(1, "a v=1 1\n", 1), Rec(2, "b v=2 2\nc v=3 3\n", 2)};
  Batch b = NextBatch(q, 0, {});
  EXPECT_EQ(b.body, "a v=1 1\nb v=2 2\nc v=3 3\n");
  EXPECT_EQ(b.points, 3u);
  EXPECT_EQ(b.completed_records, 2u);
  EXPECT_EQ(b.next_offset, 0u);
  EXPECT_EQ(b.oldest_enqueue_ns, 10);
}

// A delete is never merged with writes: the batch before it ends there, and it is a batch alone.
TEST(BatcherTest, ADeleteRecordIsABatchOfItsOwn) {
  const std::string del = std::string(deletes::kDeleteMarker) + "{}\n";
  std::deque<SourceRecord> q = {Rec(1, "a v=1 1\n", 1), Rec(2, del, 0), Rec(3, "b v=1 1\n", 1)};
  Batch before = NextBatch(q, 0, {});
  EXPECT_EQ(before.body, "a v=1 1\n");
  EXPECT_FALSE(before.is_delete());
  EXPECT_EQ(before.completed_records, 1u);
  Batch d = NextBatchFrom(q, 1, 0, {}, {});
  EXPECT_TRUE(d.is_delete());
  EXPECT_FALSE(d.empty());
  EXPECT_EQ(d.delete_payload, del);
  EXPECT_TRUE(d.body.empty());
  EXPECT_EQ(d.points, 0u);
  EXPECT_EQ(d.completed_records, 2u);
  EXPECT_EQ(d.oldest_enqueue_ns, 20);
  Batch after = NextBatchFrom(q, 2, 0, {}, {});
  EXPECT_EQ(after.body, "b v=1 1\n");
  EXPECT_EQ(after.completed_records, 3u);
}

TEST(BatcherTest, StopsAtMaxPointsOnRecordBoundary) {
  std::deque<SourceRecord> q = {Rec(1, "a v=1 1\nb v=1 1\n", 2), Rec(2, "c v=1 1\n", 1)};
  Batch b = NextBatch(q, 0, {1000, 2});
  EXPECT_EQ(b.body, "a v=1 1\nb v=1 1\n");
  EXPECT_EQ(b.completed_records, 1u);
  EXPECT_EQ(b.next_offset, 0u);
}

TEST(BatcherTest, StopsAtMaxBytes) {
  std::deque<SourceRecord> q = {Rec(1, "a v=1 1\n", 1), Rec(2, "b v=1 1\n", 1)};
  Batch b = NextBatch(q, 0, {10, 100});
  EXPECT_EQ(b.body, "a v=1 1\n");
  EXPECT_EQ(b.completed_records, 1u);
}

TEST(BatcherTest, SplitsOversizedRecordAtLineBoundaries) {
  std::deque<SourceRecord> q = {Rec(1, "a v=1 1\nb v=1 1\nc v=1 1\n", 3), Rec(2, "d v=1 1\n", 1)};
  BatchLimits limits{1000, 2};
  Batch b1 = NextBatch(q, 0, limits);
  EXPECT_EQ(b1.body, "a v=1 1\nb v=1 1\n");
  EXPECT_EQ(b1.completed_records, 0u);
  EXPECT_EQ(b1.next_offset, 16u);
  Batch b2 = NextBatch(q, b1.next_offset, limits);
  EXPECT_EQ(b2.body, "c v=1 1\nd v=1 1\n");
  EXPECT_EQ(b2.completed_records, 2u);
  EXPECT_EQ(b2.next_offset, 0u);
}

TEST(BatcherTest, OneLineBiggerThanMaxBytesIsItsOwnBatch) {
  std::deque<SourceRecord> q = {Rec(1, std::string(50, 'x') + "\nb v=1 1\n", 2)};
  Batch b = NextBatch(q, 0, {20, 100});
  EXPECT_EQ(b.body, std::string(50, 'x') + "\n");
  EXPECT_EQ(b.points, 1u);
  EXPECT_EQ(b.next_offset, 51u);
}

TEST(BatcherTest, AddsMissingTrailingNewline) {
  std::deque<SourceRecord> q = {Rec(1, "a v=1 1", 1), Rec(2, "b v=1 1", 1)};
  Batch b = NextBatch(q, 0, {});
  EXPECT_EQ(b.body, "a v=1 1\nb v=1 1\n");
  EXPECT_EQ(b.completed_records, 2u);
}

TEST(BatcherTest, EmptyQueueGivesEmptyBatch) {
  EXPECT_TRUE(NextBatch({}, 0, {}).empty());
}

}  // namespace
}  // namespace edgerepl::sender
