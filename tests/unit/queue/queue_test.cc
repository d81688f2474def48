#include "agent/queue/queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "agent/queue/cursor.h"
#include "common/crc32c.h"
#include "tests/unit/queue/queue_test_util.h"

namespace edgerepl::queue {
namespace {

using namespace testing;  // NOLINT
using edgerepl::testing::TempDir;

class QueueTest : public ::testing::Test {
 protected:
  QueueOptions Options() {
    QueueOptions o;
    o.dir = dir_.Join("q");
    o.segment_bytes = 4096;
    o.max_bytes = 1 << 20;
    return o;
  }
  std::unique_ptr<Queue> Open(QueueOptions o) {
    Result<std::unique_ptr<Queue>> q = Queue::Open(o, fs_, clock_, nullptr);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return q.ok() ? std::move(*q) : nullptr;
  }
  std::unique_ptr<Queue> Open() { return Open(Options()); }
  void AppendAll(Queue& q, int from, int to, size_t pad = 0) {
    for (int i = from; i < to; ++i) {
      ASSERT_TRUE(q.Append(Payload(i, pad), 1).ok()) << i;
    }
  }
  static std::string Payload(int i, size_t pad = 0) {
    return "m v=" + std::to_string(i) + "i " + std::string(pad, 'x') + "\n";
  }
  static std::vector<std::string> Payloads(int from, int to, size_t pad = 0) {
    std::vector<std::string> v;
    for (int i = from; i < to; ++i) v.push_back(Payload(i, pad));
    return v;
  }
  std::string Dir() { return dir_.Join("q"); }

  TempDir dir_;
  FaultFileSystem fs_;
  FakeClock clock_;
};

TEST_F(QueueTest, AppendReadAck) {
  auto q = Open();
  AppendAll(*q, 0, 3);
  Result<std::vector<Record>> r = q->ReadNext(1 << 20);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].payload, Payload(0));
  EXPECT_EQ((*r)[0].points, 1u);
  EXPECT_EQ((*r)[0].enqueue_time_ns, clock_.WallNowNanos());
  EXPECT_LT((*r)[0].position, (*r)[1].position);
  EXPECT_LT((*r)[1].position, (*r)[2].position);
  EXPECT_TRUE(q->ReadNext(1 << 20)->empty());  // nothing after the last handed out
  EXPECT_EQ(q->Stats().pending_records, 3u);
  ASSERT_TRUE(q->Ack((*r)[1].position).ok());
  QueueStats s = q->Stats();
  EXPECT_EQ(s.pending_records, 1u);
  EXPECT_EQ(s.pending_points, 1u);
  EXPECT_EQ(s.bytes, kRecordHeaderBytes + Payload(2).size());
}

TEST_F(QueueTest, ReadNextBatchesByBytesAndAlwaysGivesOne) {
  auto q = Open();
  AppendAll(*q, 0, 10, 100);
  Result<std::vector<Record>> r = q->ReadNext(1);
  ASSERT_EQ(r->size(), 1u);
  r = q->ReadNext(250);
  ASSERT_EQ(r->size(), 3u);  // stops once the batch reaches max_bytes
  EXPECT_EQ((*r)[0].payload, Payload(1, 100));
}

TEST_F(QueueTest, AckSurvivesReopenAndResendsTheRest) {
  {
    auto q = Open();
    AppendAll(*q, 0, 5);
    auto r = q->ReadNext(1 << 20);
    ASSERT_TRUE(q->Ack((*r)[2].position).ok());
  }
  auto q = Open();
  EXPECT_EQ(Drain(*q), Payloads(3, 5));
}

TEST_F(QueueTest, AckOfWhatWasNotHandedOutIsRefused) {
  auto q = Open();
  AppendAll(*q, 0, 2);
  auto r = q->ReadNext(1);
  EXPECT_EQ(q->Ack((*r)[0].position + 1000).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(q->Ack((*r)[0].position).ok());
  EXPECT_TRUE(q->Ack((*r)[0].position).ok());  // again: already done
}

TEST_F(QueueTest, RewindToCursorRereadsUnacknowledged) {
  auto q = Open();
  AppendAll(*q, 0, 4);
  auto r = q->ReadNext(1 << 20);
  ASSERT_TRUE(q->Ack((*r)[0].position).ok());
  q->RewindToCursor();
  EXPECT_EQ(Drain(*q), Payloads(1, 4));
}

TEST_F(QueueTest, SegmentsRollOverAndAcknowledgedOnesAreDeleted) {
  auto q = Open();
  AppendAll(*q, 0, 60, 200);  // ~240 bytes each, 4 KiB segments
  EXPECT_GE(SegmentFiles(Dir()).size(), 4u);
  for (const std::string& f : SegmentFiles(Dir())) EXPECT_LE(FileSize(f), 4096u);
  std::vector<std::string> got;
  for (;;) {
    auto r = q->ReadNext(700);
    if (r->empty()) break;
    for (auto& rec : *r) got.push_back(rec.payload);
    ASSERT_TRUE(q->Ack(r->back().position).ok());
  }
  EXPECT_EQ(got, Payloads(0, 60, 200));
  EXPECT_EQ(SegmentFiles(Dir()).size(), 1u);  // only the active one
  EXPECT_EQ(q->Stats().bytes, 0u);
  q.reset();
  q = Open();
  EXPECT_TRUE(Drain(*q).empty());
  AppendAll(*q, 60, 61);
  EXPECT_EQ(Drain(*q), Payloads(60, 61));
}

TEST_F(QueueTest, OversizedRecordGetsASegmentOfItsOwn) {
  auto q = Open();
  AppendAll(*q, 0, 1);
  std::string big(10000, 'b');
  ASSERT_TRUE(q->Append(big, 1).ok());
  AppendAll(*q, 1, 2);
  EXPECT_EQ(SegmentFiles(Dir()).size(), 3u);
  auto got = Drain(*q);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1], big);
  q.reset();
  q = Open();
  EXPECT_EQ(Drain(*q).size(), 3u);
}

TEST_F(QueueTest, PayloadOverTheFormatLimitIsInvalid) {
  auto q = Open();
  std::string huge(kMaxPayloadBytes + 1, 'x');
  EXPECT_EQ(q->Append(huge, 1).code(), StatusCode::kInvalidArgument);
}

TEST_F(QueueTest, MaxBytesRefusesAndAckMakesRoom) {
  QueueOptions o = Options();
  o.max_bytes = 3 * (kRecordHeaderBytes + Payload(0).size());
  auto q = Open(o);
  AppendAll(*q, 0, 3);
  EXPECT_FALSE(q->HasRoomFor(Payload(3).size()));
  EXPECT_TRUE(q->Full());  // not even an empty record fits
  Status st = q->Append(Payload(3), 1);
  EXPECT_TRUE(st.IsNoSpace()) << st.ToString();
  EXPECT_TRUE(q->Full());
  q->CountDropped(1, Payload(3).size(), kDropQueueFull);
  auto r = q->ReadNext(1);
  ASSERT_TRUE(q->Ack((*r)[0].position).ok());
  EXPECT_TRUE(q->HasRoomFor(Payload(3).size()));
  EXPECT_FALSE(q->Full());
  ASSERT_TRUE(q->Append(Payload(3), 1).ok());
  EXPECT_EQ(Dropped(q->Stats(), "queue_full"), 1u);
  EXPECT_EQ(Drain(*q), Payloads(1, 4));
}

TEST_F(QueueTest, SetLimitsAppliesAtOnce) {
  auto q = Open();
  AppendAll(*q, 0, 2);
  q->SetLimits(10, 0);
  EXPECT_TRUE(q->Append(Payload(2), 1).IsNoSpace());
  EXPECT_EQ(q->Stats().max_bytes, 10u);
}

TEST_F(QueueTest, ExpiredRecordsAreSkippedCountedAndFreed) {
  QueueOptions o = Options();
  o.max_age_seconds = 60;
  auto q = Open(o);
  AppendAll(*q, 0, 3);
  clock_.Advance(std::chrono::seconds(61));
  AppendAll(*q, 3, 4);
  auto r = q->ReadNext(1 << 20);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].payload, Payload(3));
  QueueStats s = q->Stats();
  EXPECT_EQ(Dropped(s, "expired"), 3u);
  EXPECT_EQ(DroppedBytes(s, "expired"), 3 * Payload(0).size());
  EXPECT_EQ(s.pending_points, 1u);
  // The expired head no longer counts: the cursor moved past it.
  EXPECT_EQ(s.bytes, kRecordHeaderBytes + Payload(3).size());
  q.reset();
  q = Open(o);
  EXPECT_EQ(Drain(*q), Payloads(3, 4));
  EXPECT_EQ(Dropped(q->Stats(), "expired"), 0u);  // not counted twice
}

TEST_F(QueueTest, ExpiredRecordsBehindHandedOutOnesGoWithTheNextAck) {
  QueueOptions o = Options();
  o.max_age_seconds = 60;
  auto q = Open(o);
  clock_.Advance(std::chrono::seconds(30));
  AppendAll(*q, 0, 1);
  auto first = q->ReadNext(1);
  clock_.Advance(std::chrono::seconds(31));  // record 0 is handed out, record 1.. expire
  AppendAll(*q, 1, 2);
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_TRUE(q->ReadNext(1 << 20)->empty());
  EXPECT_EQ(Dropped(q->Stats(), "expired"), 1u);
  EXPECT_EQ(q->Stats().pending_records, 1u);  // the expired one is no longer pending
  ASSERT_TRUE(q->Ack((*first)[0].position).ok());
  EXPECT_EQ(q->Stats().pending_records, 0u);
  EXPECT_EQ(q->Stats().bytes, 0u);
}

TEST_F(QueueTest, RewindDoesNotCountExpiredTwice) {
  QueueOptions o = Options();
  o.max_age_seconds = 60;
  auto q = Open(o);
  AppendAll(*q, 0, 1);
  auto first = q->ReadNext(1);
  AppendAll(*q, 1, 2);
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_TRUE(q->ReadNext(1 << 20)->empty());
  q->RewindToCursor();
  auto again = q->ReadNext(1 << 20);
  EXPECT_EQ(Dropped(q->Stats(), "expired"), 2u);
}

// Max age by the clock: a full queue whose records aged out takes new appends again without any
// read (the remote is down), and the space is freed: segments deleted, cursor moved.
TEST_F(QueueTest, ExpireOldFreesAFullQueueWithoutARead) {
  QueueOptions o = Options();
  o.max_age_seconds = 5;
  o.max_bytes = 2000;
  auto q = Open(o);
  int n = 0;
  while (q->Append(Payload(n, 40), 1).ok()) ++n;
  ASSERT_GT(n, 10);
  EXPECT_EQ(q->ExpireOld().value(), 0u);  // none is old yet
  EXPECT_TRUE(q->Append(Payload(n, 40), 1).IsNoSpace());
  clock_.Advance(std::chrono::seconds(6));
  EXPECT_EQ(q->ExpireOld().value(), static_cast<uint64_t>(n));
  QueueStats s = q->Stats();
  EXPECT_EQ(Dropped(s, "expired"), static_cast<uint64_t>(n));
  EXPECT_EQ(s.bytes, 0u);
  EXPECT_EQ(s.pending_points, 0u);
  EXPECT_FALSE(q->Full());
  AppendAll(*q, 1000, 1001, 40);
  EXPECT_EQ(q->ExpireOld().value(), 0u);  // counted once, and the new one is young
  EXPECT_EQ(Dropped(q->Stats(), "expired"), static_cast<uint64_t>(n));
  q.reset();
  q = Open(o);  // the cursor was stored: nothing expired comes back
  EXPECT_EQ(Drain(*q), Payloads(1000, 1001, 40));
  EXPECT_EQ(SegmentFiles(Dir()).size(), 1u);
}

// Records the reader holds are its own to expire (Expire), counted once with the queue's.
TEST_F(QueueTest, ExpireOldLeavesHandedOutRecordsToTheReader) {
  QueueOptions o = Options();
  o.max_age_seconds = 5;
  auto q = Open(o);
  AppendAll(*q, 0, 2);
  auto held = q->ReadNext(1);  // record 0
  ASSERT_EQ(held->size(), 1u);
  AppendAll(*q, 2, 4);
  clock_.Advance(std::chrono::seconds(6));
  AppendAll(*q, 4, 5);
  EXPECT_EQ(q->ExpireOld().value(), 3u);  // 1, 2, 3; not 0 (held) nor 4 (young)
  EXPECT_EQ(q->Stats().pending_records, 2u);
  ASSERT_TRUE(q->Expire((*held)[0].position).ok());
  QueueStats s = q->Stats();
  EXPECT_EQ(Dropped(s, "expired"), 4u);
  EXPECT_EQ(s.pending_records, 1u);
  EXPECT_EQ(s.bytes, kRecordHeaderBytes + Payload(4).size());
  ASSERT_TRUE(q->Expire((*held)[0].position).ok());  // again: already gone, not counted
  EXPECT_EQ(Dropped(q->Stats(), "expired"), 4u);
  EXPECT_EQ(Drain(*q), Payloads(4, 5));
}

TEST_F(QueueTest, ExpireOldWithoutAMaxAgeKeepsEverything) {
  auto q = Open();  // max_age_seconds from Options(): the default 7 days
  q->SetLimits(1 << 20, 0);
  AppendAll(*q, 0, 3);
  clock_.Advance(std::chrono::hours(24 * 365));
  EXPECT_EQ(q->ExpireOld().value(), 0u);
  EXPECT_EQ(Drain(*q), Payloads(0, 3));
}

TEST_F(QueueTest, StatsReportOldestPending) {
  auto q = Open();
  EXPECT_EQ(q->Stats().oldest_enqueue_ns, 0);
  int64_t t0 = clock_.WallNowNanos();
  AppendAll(*q, 0, 1);
  clock_.Advance(std::chrono::seconds(5));
  AppendAll(*q, 1, 2);
  EXPECT_EQ(q->Stats().oldest_enqueue_ns, t0);
  EXPECT_EQ(q->Stats().pending_points, 2u);
}

// ---- injected faults -------------------------------------------------------------------------

TEST_F(QueueTest, ShortWriteThenEnospcLeavesFilesReadable) {
  auto q = Open();
  AppendAll(*q, 0, 2);
  fs_.Inject(Fault{Op::kWrite, ".seg", 0, 1, ENOSPC, 7});
  Status st = q->Append(Payload(2), 1);
  EXPECT_TRUE(st.IsNoSpace()) << st.ToString();
  EXPECT_EQ(st.errno_value(), ENOSPC);
  EXPECT_TRUE(q->Full());
  AppendAll(*q, 3, 4);  // the disk has room again
  EXPECT_FALSE(q->Full());
  std::vector<std::string> want = Payloads(0, 2);
  want.push_back(Payload(3));
  EXPECT_EQ(Drain(*q), want);
  q.reset();
  q = Open();
  EXPECT_EQ(Drain(*q), want);
  EXPECT_EQ(Dropped(q->Stats(), "corrupt"), 0u);
}

TEST_F(QueueTest, EioOnWriteActsLikeAFullQueue) {
  auto q = Open();
  fs_.Inject(Fault{Op::kWrite, ".seg", 0, 1, EIO, 0});
  Status st = q->Append(Payload(0), 1);
  EXPECT_TRUE(st.IsNoSpace()) << st.ToString();
  EXPECT_EQ(st.errno_value(), EIO);
  AppendAll(*q, 1, 2);
  EXPECT_EQ(Drain(*q), Payloads(1, 2));
}

TEST_F(QueueTest, FailedWriteThatCannotBeCutBackStopsAppendsUntilReopen) {
  auto q = Open();
  AppendAll(*q, 0, 1);
  fs_.Inject(Fault{Op::kWrite, ".seg", 0, 1, EIO, 9});
  fs_.Inject(Fault{Op::kTruncate, ".seg", 0, 1, EIO});
  EXPECT_TRUE(q->Append(Payload(1), 1).IsNoSpace());
  EXPECT_TRUE(q->Append(Payload(2), 1).IsNoSpace());  // sticky
  EXPECT_TRUE(q->Full());
  EXPECT_FALSE(q->HasRoomFor(1));
  EXPECT_EQ(Drain(*q), Payloads(0, 1));  // reading still works
  q.reset();
  q = Open();  // recovery truncates the partial record as a torn tail
  EXPECT_EQ(Drain(*q), Payloads(0, 1));
  AppendAll(*q, 3, 4);
  EXPECT_EQ(Drain(*q), Payloads(3, 4));
  EXPECT_EQ(Dropped(q->Stats(), "corrupt"), 0u);
}

TEST_F(QueueTest, FsyncFailureFailsTheGroupAndCutsItOff) {
  auto q = Open();
  AppendAll(*q, 0, 1);
  fs_.Inject(Fault{Op::kSync, ".seg", 0, 1, EIO});
  Status st = q->Append(Payload(1), 1);
  EXPECT_TRUE(st.IsNoSpace()) << st.ToString();
  AppendAll(*q, 2, 3);  // the segment was cut back and synced again: appends go on
  std::vector<std::string> want = {Payload(0), Payload(2)};
  EXPECT_EQ(Drain(*q), want);
  q.reset();
  q = Open();
  EXPECT_EQ(Drain(*q), want);
}

TEST_F(QueueTest, FsyncFailureWithoutRecoveryIsSticky) {
  auto q = Open();
  AppendAll(*q, 0, 1);
  fs_.Inject(Fault{Op::kSync, ".seg", 0, 2, EIO});  // the re-sync after cutting back fails too
  EXPECT_TRUE(q->Append(Payload(1), 1).IsNoSpace());
  EXPECT_TRUE(q->Append(Payload(2), 1).IsNoSpace());
  q.reset();
  q = Open();
  EXPECT_EQ(Drain(*q), Payloads(0, 1));
}

TEST_F(QueueTest, NewSegmentCreationFailureRefusesThenRecovers) {
  QueueOptions o = Options();
  auto q = Open(o);
  AppendAll(*q, 0, 15, 200);  // most of the first segment
  fs_.Inject(Fault{Op::kOpen, ".seg", 0, 3, ENOSPC});
  Status st;
  int i = 15;
  for (; i < 40; ++i) {
    st = q->Append(Payload(i, 200), 1);
    if (!st.ok()) break;
  }
  EXPECT_TRUE(st.IsNoSpace()) << st.ToString();
  fs_.Clear();
  AppendAll(*q, i + 1, i + 3, 200);
  std::vector<std::string> want = Payloads(0, i, 200);
  for (auto& p : Payloads(i + 1, i + 3, 200)) want.push_back(p);
  EXPECT_EQ(Drain(*q), want);
  q.reset();
  q = Open(o);
  EXPECT_EQ(Drain(*q), want);
}

TEST_F(QueueTest, CursorFailureKeepsRecordsForResend) {
  auto q = Open();
  AppendAll(*q, 0, 3);
  auto r = q->ReadNext(1 << 20);
  fs_.Inject(Fault{Op::kRename, "cursor", 0, 1, EIO});
  EXPECT_FALSE(q->Ack((*r)[0].position).ok());
  EXPECT_EQ(q->Stats().pending_records, 3u);
  ASSERT_TRUE(q->Ack((*r)[1].position).ok());  // a later ack covers it
  EXPECT_EQ(q->Stats().pending_records, 1u);
  fs_.Inject(Fault{Op::kSync, "cursor", 0, 1, EIO});
  EXPECT_FALSE(q->Ack((*r)[2].position).ok());
  q.reset();
  q = Open();
  EXPECT_EQ(Drain(*q), Payloads(2, 3));
}

TEST_F(QueueTest, ReadErrorIsReturnedAndRetryable) {
  auto q = Open();
  AppendAll(*q, 0, 2);
  fs_.Inject(Fault{Op::kRead, ".seg", 0, 1, EIO});
  EXPECT_FALSE(q->ReadNext(1 << 20).ok());
  EXPECT_EQ(Drain(*q), Payloads(0, 2));
}

TEST_F(QueueTest, OpenFailsCleanlyWhenTheDirectoryCannotBeListed) {
  QueueOptions o = Options();
  o.dir = "/proc/version/q";  // a file where a directory should be
  EXPECT_FALSE(Queue::Open(o, fs_, clock_, nullptr).ok());
  o = Options();
  o.segment_bytes = 10;
  EXPECT_EQ(Queue::Open(o, fs_, clock_, nullptr).status().code(), StatusCode::kInvalidArgument);
}

// ---- recovery --------------------------------------------------------------------------------

TEST_F(QueueTest, TornTailIsTruncatedAndNotCounted) {
  {
    auto q = Open();
    AppendAll(*q, 0, 3);
  }
  std::string seg = SegmentFiles(Dir()).back();
  uint64_t good = FileSize(seg);
  std::string partial;
  EncodeRecord(1, 1, "lost v=1i\n", &partial);
  AppendBytes(seg, partial.substr(0, partial.size() - 4));
  auto q = Open();
  EXPECT_EQ(FileSize(seg), good);
  EXPECT_EQ(Drain(*q), Payloads(0, 3));
  EXPECT_EQ(Dropped(q->Stats(), "corrupt"), 0u);
  AppendAll(*q, 3, 4);
  q.reset();
  q = Open();
  EXPECT_EQ(Drain(*q), Payloads(0, 4));
}

TEST_F(QueueTest, TornTailBeforeASegmentCreatedAheadIsTruncatedAndNotCounted) {
  {
    auto q = Open();
    AppendAll(*q, 0, 3);
  }
  std::string seg = SegmentFiles(Dir()).back();
  uint64_t number = *ParseSegmentFileName(seg.substr(seg.rfind('/') + 1));
  uint64_t good = FileSize(seg);
  std::string partial;
  EncodeRecord(1, 1, "lost v=1i\n", &partial);
  AppendBytes(seg, partial.substr(0, partial.size() - 4));
  // The crash came while the next segment, created ahead, held only its header.
  std::string ahead = Dir() + "/" + SegmentFileName(number + 1);
  edgerepl::testing::WriteFileOrDie(ahead, EncodeSegmentHeader(number + 1));
  auto q = Open();
  EXPECT_EQ(FileSize(seg), good);
  EXPECT_EQ(Drain(*q), Payloads(0, 3));
  EXPECT_EQ(Dropped(q->Stats(), "corrupt"), 0u);
  AppendAll(*q, 3, 4);  // into the segment created ahead
  EXPECT_GT(FileSize(ahead), kSegmentHeaderBytes);
  q.reset();
  q = Open();
  EXPECT_EQ(Drain(*q), Payloads(0, 4));
  EXPECT_EQ(Dropped(q->Stats(), "corrupt"), 0u);
}

TEST_F(QueueTest, CorruptRecordInTheMiddleIsSkippedAndCounted) {
  {
    auto q = Open();
    AppendAll(*q, 0, 4);
  }
  std::string seg = SegmentFiles(Dir()).back();
  uint64_t second = kSegmentHeaderBytes + kRecordHeaderBytes + Payload(0).size();
  FlipByte(seg, second + kRecordHeaderBytes + 2);
  auto q = Open();
  std::vector<std::string> want = {Payload(0), Payload(2), Payload(3)};
  EXPECT_EQ(Drain(*q), want);
  QueueStats s = q->Stats();
  EXPECT_EQ(Dropped(s, "corrupt"), 1u);
  EXPECT_EQ(DroppedBytes(s, "corrupt"), kRecordHeaderBytes + Payload(1).size());
}

TEST_F(QueueTest, DamagedLastRecordIsTruncatedAndCounted) {
  {
    auto q = Open();
    AppendAll(*q, 0, 3);
    ASSERT_TRUE(q->Append("m v=9i 1\nm v=8i 2\n", 2).ok());
  }
  std::string seg = SegmentFiles(Dir()).back();
  uint64_t size = FileSize(seg);
  FlipByte(seg, size - 3);  // bit rot in a whole record: it may have been acknowledged
  auto q = Open();
  EXPECT_EQ(Drain(*q), Payloads(0, 3));
  QueueStats s = q->Stats();
  EXPECT_EQ(Dropped(s, "corrupt"), 2u);
  EXPECT_EQ(DroppedBytes(s, "corrupt"), kRecordHeaderBytes + 18);
  AppendAll(*q, 3, 4);
  q.reset();
  q = Open();
  EXPECT_EQ(Drain(*q), Payloads(0, 4));
}

// The disk fills up and even the cursor's temp file cannot be written: acknowledging still
// releases the records, and once all of the active segment is acknowledged the next append
// replaces that segment, so the space comes back without a restart.
TEST_F(QueueTest, FullDiskIsReleasedByAcknowledgementWithoutRestart) {
  QueueOptions o = Options();
  o.segment_bytes = 1 << 20;  // everything fits in the active segment
  auto q = Open(o);
  AppendAll(*q, 0, 5, 100);
  fs_.Inject(Fault{Op::kWrite, "", 0, -1, ENOSPC});
  EXPECT_TRUE(q->Append(Payload(5, 100), 1).IsNoSpace());
  EXPECT_TRUE(q->Full());
  auto r = q->ReadNext(1 << 20);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 5u);
  EXPECT_FALSE(q->Ack(r->back().position).ok());  // the cursor could not be stored
  EXPECT_EQ(q->Stats().pending_records, 0u);
  EXPECT_EQ(q->Stats().bytes, 0u);
  std::vector<std::string> before = SegmentFiles(Dir());
  ASSERT_EQ(before.size(), 1u);
  fs_.Clear();  // the acknowledged segment is what frees the disk
  AppendAll(*q, 6, 8, 100);
  std::vector<std::string> after = SegmentFiles(Dir());
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after[0], before[0]);
  EXPECT_EQ(Drain(*q), Payloads(6, 8, 100));
  // The stored cursor still names the deleted segment: reopening starts at the oldest one left,
  // which holds exactly what was not acknowledged.
  q.reset();
  q = Open(o);
  EXPECT_EQ(Drain(*q), Payloads(6, 8, 100));
}

TEST_F(QueueTest, RecordDamagedAfterOpenIsSkippedAtReadTime) {
  auto q = Open();
  AppendAll(*q, 0, 3);
  std::string seg = SegmentFiles(Dir()).back();
  FlipByte(seg, kSegmentHeaderBytes + kRecordHeaderBytes + 1);
  std::vector<std::string> want = Payloads(1, 3);
  EXPECT_EQ(Drain(*q), want);
  EXPECT_EQ(Dropped(q->Stats(), "corrupt"), 1u);
  EXPECT_EQ(q->Stats().pending_records, 2u);  // the cursor moved past the bad head
}

TEST_F(QueueTest, RecordDamagedInTheMiddleOfAReadIsTheOnlyOneDropped) {
  auto q = Open();
  AppendAll(*q, 0, 5);
  std::vector<std::string> want = Payloads(0, 5);
  std::string seg = SegmentFiles(Dir()).back();
  // The third record's payload: the records around it come in the same scatter read.
  uint64_t offset = kSegmentHeaderBytes;
  for (int i = 0; i < 2; ++i) offset += kRecordHeaderBytes + want[static_cast<size_t>(i)].size();
  FlipByte(seg, offset + kRecordHeaderBytes);
  want.erase(want.begin() + 2);
  EXPECT_EQ(Drain(*q), want);
  EXPECT_EQ(Dropped(q->Stats(), "corrupt"), 1u);
}

TEST_F(QueueTest, SegmentCutShortAfterOpenDropsOnlyWhatIsGone) {
  auto q = Open();
  AppendAll(*q, 0, 4);
  std::vector<std::string> want = Payloads(0, 4);
  ShrinkBy(SegmentFiles(Dir()).back(), want.back().size() / 2 + 1);
  want.pop_back();
  EXPECT_EQ(Drain(*q), want);
  EXPECT_EQ(Dropped(q->Stats(), "corrupt"), 1u);
}

TEST_F(QueueTest, MissingCursorResendsFromTheOldestSegment) {
  {
    auto q = Open();
    AppendAll(*q, 0, 40, 200);
    auto r = q->ReadNext(3000);
    ASSERT_TRUE(q->Ack(r->back().position).ok());
  }
  size_t files = SegmentFiles(Dir()).size();
  ASSERT_EQ(::unlink((Dir() + "/cursor").c_str()), 0);
  auto q = Open();
  std::vector<std::string> got = Drain(*q);
  // Everything in the remaining segments comes again: nothing is lost.
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back(), Payload(39, 200));
  EXPECT_EQ(SegmentFiles(Dir()).size(), files);
}

TEST_F(QueueTest, DamagedCursorResendsFromTheOldestSegment) {
  {
    auto q = Open();
    AppendAll(*q, 0, 5);
    auto r = q->ReadNext(1 << 20);
    ASSERT_TRUE(q->Ack((*r)[3].position).ok());
  }
  FlipByte(Dir() + "/cursor", 10);
  auto q = Open();
  EXPECT_EQ(Drain(*q), Payloads(0, 5));
}

TEST_F(QueueTest, CursorNamingAMissingSegmentResendsEverything) {
  {
    auto q = Open();
    AppendAll(*q, 0, 3);
  }
  ASSERT_TRUE(StoreCursor(PosixFileSystem(), Dir(), Cursor{999, 20}).ok());
  auto q = Open();
  EXPECT_EQ(Drain(*q), Payloads(0, 3));
}

TEST_F(QueueTest, DamagedSegmentHeaderKeepsItsRecordsAndAppendsElsewhere) {
  {
    auto q = Open();
    AppendAll(*q, 0, 3);
  }
  std::string seg = SegmentFiles(Dir()).back();
  FlipByte(seg, 2);
  auto q = Open();
  EXPECT_EQ(Drain(*q), Payloads(0, 3));
  EXPECT_EQ(DroppedBytes(q->Stats(), "corrupt"), kSegmentHeaderBytes);
  AppendAll(*q, 3, 4);
  EXPECT_EQ(SegmentFiles(Dir()).size(), 2u);
  q.reset();
  q = Open();
  EXPECT_EQ(Drain(*q), Payloads(0, 4));
}

TEST_F(QueueTest, SegmentFromAnotherFormatVersionIsNotTouched) {
  {
    auto q = Open();
    AppendAll(*q, 0, 1);
  }
  std::string seg = SegmentFiles(Dir()).back();
  std::string s = edgerepl::testing::ReadFileOrDie(seg);
  std::string body = EncodeSegmentHeader(1).substr(0, 16);
  body[4] = 2;  // version 2, with a CRC that matches
  uint32_t crc = MaskCrc(crc32c::Value(body));
  for (int i = 0; i < 4; ++i) body.push_back(static_cast<char>(crc >> (8 * i)));
  edgerepl::testing::WriteFileOrDie(seg, body + s.substr(kSegmentHeaderBytes));
  Result<std::unique_ptr<Queue>> q = Queue::Open(Options(), fs_, clock_, nullptr);
  EXPECT_TRUE(q.status().IsCorruption());
  EXPECT_EQ(edgerepl::testing::ReadFileOrDie(seg).size(), s.size());
}

TEST_F(QueueTest, SegmentCutShortDuringCreationIsRemoved) {
  {
    auto q = Open();
    AppendAll(*q, 0, 2);
  }
  std::string next = Dir() + "/" + SegmentFileName(99);
  edgerepl::testing::WriteFileOrDie(next, EncodeSegmentHeader(99).substr(0, 9));
  auto q = Open();
  EXPECT_EQ(Drain(*q), Payloads(0, 2));
  AppendAll(*q, 2, 3);
  q.reset();
  q = Open();
  EXPECT_EQ(Drain(*q), Payloads(0, 3));
  EXPECT_EQ(Dropped(q->Stats(), "corrupt"), 0u);
}

TEST_F(QueueTest, LeftoverSegmentsBeforeTheCursorAreDeletedOnOpen) {
  {
    auto q = Open();
    AppendAll(*q, 0, 30, 200);
  }
  std::vector<std::string> files = SegmentFiles(Dir());
  ASSERT_GE(files.size(), 2u);
  ASSERT_TRUE(StoreCursor(PosixFileSystem(), Dir(),
                          Cursor{*ParseSegmentFileName(files[1].substr(Dir().size() + 1)),
                                 kSegmentHeaderBytes})
                  .ok());
  auto q = Open();
  EXPECT_EQ(SegmentFiles(Dir()).size(), files.size() - 1);
  EXPECT_EQ(Drain(*q).front(), Payload(static_cast<int>(30 - q->Stats().pending_records), 200));
}

// ---- power loss: only what was synced survives ----------------------------------------------

TEST_F(QueueTest, SyncDurabilityKeepsEveryAnsweredAppendThroughPowerLoss) {
  QueueOptions o = Options();
  auto q = Open(o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(
            q->Append("t" + std::to_string(t) + " " + std::to_string(i) + std::string(150, 'p'), 1)
                .ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  auto r = q->ReadNext(2000);
  ASSERT_TRUE(q->Ack(r->back().position).ok());
  size_t acked = r->size();
  fs_.Crash();
  q.reset();
  fs_.Restart();
  q = Open(o);
  std::vector<std::string> got = Drain(*q);
  EXPECT_EQ(got.size(), 80 - acked);
  EXPECT_EQ(Dropped(q->Stats(), "corrupt"), 0u);
}

TEST_F(QueueTest, IntervalDurabilityLosesOnlyTheUnsyncedTailAndOpensClean) {
  QueueOptions o = Options();
  o.durability = config::Durability::kInterval;
  o.sync_interval = std::chrono::hours(1);
  auto q = Open(o);
  AppendAll(*q, 0, 3);
  ASSERT_TRUE(q->Close().ok());  // syncs
  q = Open(o);
  AppendAll(*q, 3, 6);  // answered, never synced
  fs_.Crash();
  q.reset();
  fs_.Restart();
  q = Open(o);
  EXPECT_EQ(Drain(*q), Payloads(0, 3));
  EXPECT_EQ(Dropped(q->Stats(), "corrupt"), 0u);
  AppendAll(*q, 6, 7);
  EXPECT_EQ(Drain(*q), Payloads(6, 7));
}

TEST_F(QueueTest, AcknowledgedCursorSurvivesPowerLoss) {
  auto q = Open();
  AppendAll(*q, 0, 40, 200);  // several segments
  auto r = q->ReadNext(5000);
  ASSERT_TRUE(q->Ack(r->back().position).ok());
  size_t acked = r->size();
  fs_.Crash();
  q.reset();
  fs_.Restart();
  q = Open();
  EXPECT_EQ(Drain(*q), Payloads(static_cast<int>(acked), 40, 200));
}

// ---- group commit ----------------------------------------------------------------------------

TEST_F(QueueTest, ConcurrentWritersShareSyncsAndKeepTheirOrder) {
  QueueOptions o = Options();
  o.segment_bytes = 1 << 20;
  o.max_bytes = 64 << 20;
  auto q = Open(o);
  int syncs_before = fs_.calls(Op::kSync);
  constexpr int kThreads = 8;
  constexpr int kEach = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        ASSERT_TRUE(q->Append("t" + std::to_string(t) + " " + std::to_string(i), 1).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  int syncs = fs_.calls(Op::kSync) - syncs_before;
  EXPECT_LE(syncs, kThreads * kEach);
  std::vector<int> next(kThreads, 0);
  std::vector<std::string> got = Drain(*q);
  ASSERT_EQ(got.size(), static_cast<size_t>(kThreads * kEach));
  for (const std::string& p : got) {
    int t = std::stoi(p.substr(1));
    int i = std::stoi(p.substr(p.find(' ') + 1));
    EXPECT_EQ(i, next[t]++);
  }
}

// Cohorts of 256 KiB and more sync in halves that overlap (WaitForCohortLocked), and a sync's
// answered writers are woken after the next sync may have started: neither may cost a record or
// its order, and the records written during one sync must wait for another.
TEST_F(QueueTest, LargeCohortsSyncInOverlappingHalvesAndKeepTheirOrder) {
  QueueOptions o = Options();
  o.segment_bytes = 4 << 20;
  o.max_bytes = 256 << 20;
  auto q = Open(o);
  fs_.SetSyncDelay(std::chrono::milliseconds(2));
  constexpr int kThreads = 16;
  constexpr int kEach = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string p = "t" + std::to_string(t) + " " + std::to_string(i) + " ";
        p.resize(64 << 10, 'x');
        ASSERT_TRUE(q->Append(p, 1).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GT(fs_.writes_during_sync(), 0);
  ASSERT_TRUE(q->Close().ok());
  q = Open(o);
  std::vector<int> next(kThreads, 0);
  std::vector<std::string> got = Drain(*q);
  ASSERT_EQ(got.size(), static_cast<size_t>(kThreads * kEach));
  for (const std::string& p : got) {
    ASSERT_EQ(p.size(), 64u << 10);
    int t = std::stoi(p.substr(1));
    int i = std::stoi(p.substr(p.find(' ') + 1));
    EXPECT_EQ(i, next[t]++);
  }
}

// Polls `done` for up to 10 s.
template <typename F>
bool WaitFor(F done) {
  for (int i = 0; i < 10000 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

TEST_F(QueueTest, NextGroupIsWrittenWhileTheSyncBeforeItRuns) {
  auto q = Open();
  const int syncs_before = fs_.calls(Op::kSync);
  const int writes_before = fs_.calls(Op::kWrite);
  fs_.HoldNextSync(".seg");
  std::thread a([&] { EXPECT_TRUE(q->Append(Payload(0), 1).ok()); });
  ASSERT_TRUE(fs_.WaitSyncHeld());
  std::atomic<bool> b_answered{false};
  std::thread b([&] {
    EXPECT_TRUE(q->Append(Payload(1), 1).ok());
    b_answered = true;
  });
  // b's record reaches the file while a's sync is still running...
  EXPECT_TRUE(WaitFor([&] { return fs_.calls(Op::kWrite) == writes_before + 2; }));
  EXPECT_EQ(fs_.writes_during_sync(), 1);
  // ...but a sync that started before that write does not answer it.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(b_answered);
  fs_.ReleaseSync();
  a.join();
  b.join();
  EXPECT_EQ(fs_.calls(Op::kSync) - syncs_before, 2);
  EXPECT_EQ(Drain(*q), Payloads(0, 2));
  q.reset();
  q = Open();
  EXPECT_EQ(Drain(*q), Payloads(0, 2));
}

TEST_F(QueueTest, FailedSyncFailsOnlyTheGroupsItCoveredAndRewritesTheNext) {
  auto q = Open();
  AppendAll(*q, 0, 1);
  const int writes_before = fs_.calls(Op::kWrite);
  fs_.HoldNextSync(".seg");
  Status st_a;
  Status st_b;
  std::thread a([&] { st_a = q->Append(Payload(1), 1); });
  ASSERT_TRUE(fs_.WaitSyncHeld());
  std::thread b([&] { st_b = q->Append(Payload(2), 1); });
  ASSERT_TRUE(WaitFor([&] { return fs_.calls(Op::kWrite) == writes_before + 2; }));
  fs_.Inject(Fault{Op::kSync, ".seg", 0, 1, EIO});  // the held sync fails once released
  fs_.ReleaseSync();
  a.join();
  b.join();
  EXPECT_TRUE(st_a.IsNoSpace()) << st_a.ToString();
  // b's bytes were cut off with a's, written again after the cut, and synced.
  EXPECT_TRUE(st_b.ok()) << st_b.ToString();
  EXPECT_EQ(fs_.calls(Op::kWrite), writes_before + 3);
  std::vector<std::string> want = {Payload(0), Payload(2)};
  EXPECT_EQ(Drain(*q), want);
  AppendAll(*q, 3, 4);
  want.push_back(Payload(3));
  q.reset();
  q = Open();
  EXPECT_EQ(Drain(*q), want);
  EXPECT_EQ(Dropped(q->Stats(), "corrupt"), 0u);
}

TEST_F(QueueTest, FailedSyncThatCannotCutBackFailsEveryWrittenGroup) {
  auto q = Open();
  AppendAll(*q, 0, 1);
  const int writes_before = fs_.calls(Op::kWrite);
  fs_.HoldNextSync(".seg");
  Status st_a;
  Status st_b;
  std::thread a([&] { st_a = q->Append(Payload(1), 1); });
  ASSERT_TRUE(fs_.WaitSyncHeld());
  std::thread b([&] { st_b = q->Append(Payload(2), 1); });
  ASSERT_TRUE(WaitFor([&] { return fs_.calls(Op::kWrite) == writes_before + 2; }));
  fs_.Inject(Fault{Op::kSync, ".seg", 0, 2, EIO});  // and the sync after cutting back
  fs_.ReleaseSync();
  a.join();
  b.join();
  EXPECT_TRUE(st_a.IsNoSpace()) << st_a.ToString();
  EXPECT_TRUE(st_b.IsNoSpace()) << st_b.ToString();
  EXPECT_TRUE(q->Append(Payload(3), 1).IsNoSpace());  // in doubt until reopened
  EXPECT_TRUE(q->Full());
  q.reset();
  q = Open();
  // Only the answered record is promised; the failed ones may or may not have reached the disk.
  std::vector<std::string> got = Drain(*q);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0], Payload(0));
}

TEST_F(QueueTest, CloseWaitsForGroupsInBothStages) {
  auto q = Open();
  fs_.HoldNextSync(".seg");
  const int writes_before = fs_.calls(Op::kWrite);
  std::thread a([&] { EXPECT_TRUE(q->Append(Payload(0), 1).ok()); });
  ASSERT_TRUE(fs_.WaitSyncHeld());
  std::thread b([&] { EXPECT_TRUE(q->Append(Payload(1), 1).ok()); });
  ASSERT_TRUE(WaitFor([&] { return fs_.calls(Op::kWrite) == writes_before + 2; }));
  std::thread closer([&] { EXPECT_TRUE(q->Close().ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  fs_.ReleaseSync();
  closer.join();
  a.join();
  b.join();
  EXPECT_EQ(q->Append(Payload(2), 1).code(), StatusCode::kAborted);
  q.reset();
  q = Open();
  EXPECT_EQ(Drain(*q), Payloads(0, 2));
}

TEST_F(QueueTest, NextSegmentIsCreatedWhileTheOldOnesLastSyncRuns) {
  QueueOptions o = Options();
  o.segment_bytes = 256;
  auto q = Open(o);
  const std::string big(150, 'x');  // two do not fit one segment
  ASSERT_EQ(SegmentFiles(Dir()).size(), 1u);
  fs_.HoldNextSync(".seg");
  std::thread a([&] { EXPECT_TRUE(q->Append(big + "a", 1).ok()); });
  ASSERT_TRUE(fs_.WaitSyncHeld());
  std::atomic<bool> b_answered{false};
  std::thread b([&] {
    EXPECT_TRUE(q->Append(big + "b", 1).ok());
    b_answered = true;
  });
  // b needs a new segment; it is made (and synced) while a's sync is still held...
  EXPECT_TRUE(WaitFor([&] { return SegmentFiles(Dir()).size() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // ...but b's record goes into it only after every record of the old one is synced.
  EXPECT_EQ(FileSize(SegmentFiles(Dir())[1]), kSegmentHeaderBytes);
  EXPECT_FALSE(b_answered);
  fs_.ReleaseSync();
  a.join();
  b.join();
  std::vector<std::string> want = {big + "a", big + "b"};
  EXPECT_EQ(Drain(*q), want);
  q.reset();
  q = Open(o);
  EXPECT_EQ(Drain(*q), want);
}

TEST_F(QueueTest, SegmentCreatedAheadAndNeverUsedIsRemovedOnClose) {
  QueueOptions o = Options();
  o.segment_bytes = 256;
  auto q = Open(o);
  const std::string big(150, 'x');
  fs_.HoldNextSync(".seg");
  // A failed sync of a's segment that cannot be cut back fails a and b, and b never reaches the
  // segment made for it.
  fs_.Inject(Fault{Op::kSync, SegmentFileName(1), 0, 2, EIO});
  std::thread a([&] { EXPECT_TRUE(q->Append(big + "a", 1).IsNoSpace()); });
  ASSERT_TRUE(fs_.WaitSyncHeld());
  std::thread b([&] { EXPECT_TRUE(q->Append(big + "b", 1).IsNoSpace()); });
  ASSERT_TRUE(WaitFor([&] { return SegmentFiles(Dir()).size() == 2; }));
  fs_.ReleaseSync();
  a.join();
  b.join();
  q.reset();
  EXPECT_EQ(SegmentFiles(Dir()).size(), 1u);
  fs_.Clear();
  q = Open(o);
  EXPECT_TRUE(q->Append("c", 1).ok());
  EXPECT_EQ(Drain(*q), std::vector<std::string>{"c"});
}

TEST_F(QueueTest, SlowSyncsKeepEveryWritersOrderAcrossSegments) {
  QueueOptions o = Options();
  o.segment_bytes = 2048;  // many roll-overs, each waiting for the pipeline to drain
  o.max_bytes = 64 << 20;
  auto q = Open(o);
  fs_.SetSyncDelay(std::chrono::microseconds(500));
  constexpr int kThreads = 6;
  constexpr int kEach = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        ASSERT_TRUE(q->Append("t" + std::to_string(t) + " " + std::to_string(i), 1).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  fs_.SetSyncDelay(std::chrono::microseconds(0));
  QueueStats stats = q->Stats();
  EXPECT_EQ(stats.pending_records, static_cast<uint64_t>(kThreads * kEach));
  auto check = [&](const std::vector<std::string>& got) {
    ASSERT_EQ(got.size(), static_cast<size_t>(kThreads * kEach));
    std::vector<int> next(kThreads, 0);
    for (const std::string& p : got) {
      int t = std::stoi(p.substr(1));
      EXPECT_EQ(std::stoi(p.substr(p.find(' ') + 1)), next[t]++);
    }
  };
  check(Drain(*q));
  q.reset();
  q = Open(o);
  check(Drain(*q));
}

TEST_F(QueueTest, SyncDurabilitySyncsBeforeAnswering) {
  auto q = Open();
  int before = fs_.calls(Op::kSync);
  AppendAll(*q, 0, 3);
  EXPECT_EQ(fs_.calls(Op::kSync) - before, 3);  // one writer at a time: one sync each
}

TEST_F(QueueTest, IntervalDurabilityAnswersAtOnceAndSyncsInTheBackground) {
  QueueOptions o = Options();
  o.durability = config::Durability::kInterval;
  o.sync_interval = std::chrono::milliseconds(20);
  auto q = Open(o);
  int before = fs_.calls(Op::kSync);
  AppendAll(*q, 0, 3);
  EXPECT_EQ(fs_.calls(Op::kSync), before);
  for (int i = 0; i < 200 && fs_.calls(Op::kSync) == before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(fs_.calls(Op::kSync), before);
  EXPECT_EQ(Drain(*q), Payloads(0, 3));
  int idle = fs_.calls(Op::kSync);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_EQ(fs_.calls(Op::kSync), idle);  // nothing new written: no sync
}

TEST_F(QueueTest, CloseSyncsWhatIntervalModeLeftAndRefusesLaterAppends) {
  QueueOptions o = Options();
  o.durability = config::Durability::kInterval;
  o.sync_interval = std::chrono::hours(1);
  auto q = Open(o);
  int before = fs_.calls(Op::kSync);
  AppendAll(*q, 0, 2);
  ASSERT_TRUE(q->Close().ok());
  EXPECT_EQ(fs_.calls(Op::kSync), before + 1);
  EXPECT_EQ(q->Append("x", 1).code(), StatusCode::kAborted);
  q.reset();
  q = Open(o);
  EXPECT_EQ(Drain(*q), Payloads(0, 2));
}

TEST_F(QueueTest, IntervalSyncFailureStopsAppendsUntilReopen) {
  QueueOptions o = Options();
  o.durability = config::Durability::kInterval;
  o.sync_interval = std::chrono::milliseconds(10);
  auto q = Open(o);
  fs_.Inject(Fault{Op::kSync, ".seg", 0, 1, EIO});
  AppendAll(*q, 0, 1);
  bool refused = false;
  for (int i = 0; i < 200 && !refused; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    refused = q->Full();
  }
  EXPECT_TRUE(refused);
  EXPECT_TRUE(q->Append(Payload(1), 1).IsNoSpace());
}

}  // namespace
}  // namespace edgerepl::queue
