#include "agent/queue/orphans.h"

#include <gtest/gtest.h>

#include "agent/queue/format.h"
#include "agent/queue/queue.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/queue/fault_fs.h"

namespace edgerepl::queue {
namespace {

using edgerepl::testing::TempDir;
using testing::FakeClock;

class OrphansTest : public ::testing::Test {
 protected:
  bool Exists(const std::string& p) { return *PosixFileSystem().Exists(p); }
  std::string Q(const std::string& id) { return dir_.Join(id); }
  void MakeQueue(const std::string& id) {
    QueueOptions o;
    o.dir = Q(id);
    auto q = Queue::Open(o, PosixFileSystem(), clock_, nullptr);
    ASSERT_TRUE(q.ok());
    ASSERT_TRUE((*q)->Append("m v=1i\n", 1).ok());
  }
  Status Sweep(std::set<std::string> live) {
    return SweepOrphans(dir_.path(), live, std::chrono::hours(24), PosixFileSystem(), clock_);
  }
  TempDir dir_;
  FakeClock clock_;
};

TEST_F(OrphansTest, KeptForTheGracePeriodThenRemoved) {
  MakeQueue("a");
  MakeQueue("b");
  ASSERT_TRUE(Sweep({"a"}).ok());
  EXPECT_TRUE(Exists(Q("b") + "/" + kOrphanMarkerFileName));
  EXPECT_FALSE(Exists(Q("a") + "/" + kOrphanMarkerFileName));
  clock_.Advance(std::chrono::hours(23));
  ASSERT_TRUE(Sweep({"a"}).ok());
  EXPECT_TRUE(Exists(Q("b")));
  clock_.Advance(std::chrono::hours(2));
  ASSERT_TRUE(Sweep({"a"}).ok());
  EXPECT_FALSE(Exists(Q("b")));
  EXPECT_TRUE(Exists(Q("a")));
}

TEST_F(OrphansTest, AReturningReplicationClearsTheMarker) {
  MakeQueue("b");
  ASSERT_TRUE(Sweep({}).ok());
  clock_.Advance(std::chrono::hours(20));
  ASSERT_TRUE(Sweep({"b"}).ok());
  EXPECT_FALSE(Exists(Q("b") + "/" + kOrphanMarkerFileName));
  // Orphaned again: a fresh grace period.
  ASSERT_TRUE(Sweep({}).ok());
  clock_.Advance(std::chrono::hours(20));
  ASSERT_TRUE(Sweep({}).ok());
  EXPECT_TRUE(Exists(Q("b")));
}

TEST_F(OrphansTest, OpeningAQueueClearsTheMarker) {
  MakeQueue("b");
  ASSERT_TRUE(Sweep({}).ok());
  MakeQueue("b");
  EXPECT_FALSE(Exists(Q("b") + "/" + kOrphanMarkerFileName));
}

TEST_F(OrphansTest, UnreadableMarkerRestartsTheGracePeriod) {
  MakeQueue("b");
  edgerepl::testing::WriteFileOrDie(Q("b") + "/" + kOrphanMarkerFileName, "garbage");
  clock_.Advance(std::chrono::hours(100));
  ASSERT_TRUE(Sweep({}).ok());
  EXPECT_TRUE(Exists(Q("b")));
  clock_.Advance(std::chrono::hours(25));
  ASSERT_TRUE(Sweep({}).ok());
  EXPECT_FALSE(Exists(Q("b")));
}

TEST_F(OrphansTest, MissingQueuesDirectoryIsFineAndFilesAreIgnored) {
  EXPECT_TRUE(
      SweepOrphans(dir_.Join("none"), {}, std::chrono::hours(1), PosixFileSystem(), clock_).ok());
  edgerepl::testing::WriteFileOrDie(dir_.Join("stray"), "x");
  EXPECT_TRUE(Sweep({}).ok());
  EXPECT_TRUE(Exists(dir_.Join("stray")));
}

TEST_F(OrphansTest, MarkerWriteFailureIsReportedAndNothingRemoved) {
  MakeQueue("b");
  testing::FaultFileSystem fs;
  fs.Inject(testing::Fault{testing::Op::kRename, "orphaned", 0, 1, EIO});
  EXPECT_FALSE(SweepOrphans(dir_.path(), {}, std::chrono::hours(1), fs, clock_).ok());
  EXPECT_TRUE(Exists(Q("b")));
}

}  // namespace
}  // namespace edgerepl::queue
