// The durable progress file: its text round trips, anything this version did not write is refused
// naming what is wrong, and a failed store is an error that leaves the previous progress readable.
#include "agent/backfill/progress.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <limits>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tests/unit/queue/fault_fs.h"

namespace edgerepl::backfill {
namespace {

using queue::testing::Fault;
using queue::testing::FaultFileSystem;
using queue::testing::Op;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

Progress Sample() {
  Progress p;
  p.from_ns = 1700000000000000000;
  p.to_ns = 1700000360000000001;
  p.max_points_per_second = 50000;
  p.origin = Origin::kConfig;
  p.done_until_ns = 1700000100000000007;
  p.points = 123456;
  p.config_range = std::pair<int64_t, int64_t>{p.from_ns, p.to_ns};
  return p;
}

TEST(BackfillProgressCodecTest, TheFileIsTheDocumentedTextForm) {
  // A later version must read what this one stored: the form is pinned, not just round tripped.
  EXPECT_EQ(EncodeProgress(Sample()),
            "edgerepl-backfill 1\n"
            "from=1700000000000000000\n"
            "to=1700000360000000001\n"
            "maxPointsPerSecond=50000\n"
            "origin=config\n"
            "doneUntil=1700000100000000007\n"
            "points=123456\n"
            "cancelled=0\n"
            "configFrom=1700000000000000000\n"
            "configTo=1700000360000000001\n");
}

TEST(BackfillProgressCodecTest, EveryFieldRoundTrips) {
  struct Case {
    const char* name;
    Progress progress;
  };
  std::vector<Case> cases;
  cases.push_back({"default", Progress{}});
  cases.push_back({"sample", Sample()});
  Progress admin = Sample();
  admin.origin = Origin::kAdmin;
  admin.cancelled = true;
  admin.config_range.reset();
  cases.push_back({"admin, cancelled, no config range", admin});
  Progress extremes;
  extremes.from_ns = kMin;
  extremes.to_ns = kMax;
  extremes.done_until_ns = kMax;
  extremes.max_points_per_second = std::numeric_limits<uint64_t>::max();
  extremes.points = std::numeric_limits<uint64_t>::max();
  extremes.config_range = std::pair<int64_t, int64_t>{kMin, kMax};
  cases.push_back({"int64 and uint64 extremes", extremes});
  Progress before_epoch;
  before_epoch.from_ns = -86400000000000;
  before_epoch.to_ns = -1;
  before_epoch.done_until_ns = -43200000000000;
  cases.push_back({"before 1970", before_epoch});
  for (const Case& c : cases) {
    Result<Progress> back = DecodeProgress(EncodeProgress(c.progress));
    ASSERT_TRUE(back.ok()) << c.name << ": " << back.status().ToString();
    EXPECT_EQ(*back, c.progress) << c.name;
  }
}

TEST(BackfillProgressCodecTest, ATextThisVersionDidNotWriteIsRefusedSayingWhy) {
  const std::string good = EncodeProgress(Sample());
  auto replace = [&good](const std::string& from, const std::string& to) {
    std::string s = good;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  struct Case {
    const char* name;
    std::string text;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"empty", "", "not a backfill progress file"},
      {"another file", "{\"from\": 1}\n", "not a backfill progress file"},
      {"a later format", replace("backfill 1\n", "backfill 2\n"), "not a backfill progress file"},
      {"last line without its newline", good.substr(0, good.size() - 1), "truncated progress file"},
      {"a line without '='", replace("points=123456\n", "points 123456\n"), "bad progress line"},
      {"a key missing", replace("points=123456\n", ""), "bad progress file"},
      {"an empty number", replace("points=123456", "points="), "bad progress file"},
      {"a number with trailing text", replace("points=123456", "points=123456x"),
       "bad progress file"},
      {"a number with a sign it cannot have", replace("points=123456", "points=-1"),
       "bad progress file"},
      {"an int64 overflow", replace("from=1700000000000000000", "from=9223372036854775808"),
       "bad progress file"},
      {"a uint64 overflow", replace("points=123456", "points=18446744073709551616"),
       "bad progress file"},
      {"an unknown origin", replace("origin=config", "origin=operator"), "bad progress file"},
      {"a config range without its end", replace("configTo=1700000360000000001\n", ""),
       "bad progress file"},
      {"a config range end that is not a number", replace("configTo=17", "configTo=x17"),
       "bad progress file"},
  };
  for (const Case& c : cases) {
    Result<Progress> p = DecodeProgress(c.text);
    ASSERT_FALSE(p.ok()) << c.name;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(p.status().message(), c.message) << c.name;
  }
}

TEST(BackfillProgressCodecTest, ATornFileNeverResumesPastWhereTheJobWas) {
  // The store replaces the file atomically, so a cut file comes only from damage outside the
  // agent. Every cut is refused but one: the cut just before the optional config range reads as
  // the same job without it, which the plan treats as a new range and reads again from its start
  // (duplicates only, which the remote stores once).
  const Progress p = Sample();
  const std::string text = EncodeProgress(p);
  const size_t optional_lines = text.find("configFrom=");
  for (size_t n = 0; n < text.size(); ++n) {
    Result<Progress> back = DecodeProgress(text.substr(0, n));
    if (n != optional_lines) {
      EXPECT_FALSE(back.ok()) << "cut at " << n << ": " << text.substr(0, n);
      continue;
    }
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    Progress without_range = p;
    without_range.config_range.reset();
    EXPECT_EQ(*back, without_range);
  }
}

class BackfillProgressFileTest : public ::testing::Test {
 protected:
  std::string file() const { return dir_.path() + "/progress"; }
  std::string tmp() const { return dir_.path() + "/progress.tmp"; }

  edgerepl::testing::TempDir dir_;
  FaultFileSystem fs_;
};

TEST_F(BackfillProgressFileTest, NoneStoredYetIsNotFound) {
  Result<Progress> p = LoadProgress(fs_, dir_.path());
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(p.status().IsNotFound()) << p.status().ToString();
}

TEST_F(BackfillProgressFileTest, StoredProgressLoadsBackAndLeavesNoTempFile) {
  ASSERT_TRUE(StoreProgress(fs_, dir_.path(), Sample()).ok());
  Progress later = Sample();
  later.done_until_ns += 60'000'000'000;
  later.points += 20000;
  ASSERT_TRUE(StoreProgress(fs_, dir_.path(), later).ok());
  Result<Progress> p = LoadProgress(fs_, dir_.path());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, later);
  EXPECT_EQ(edgerepl::testing::ReadFileOrDie(file()), EncodeProgress(later));
  EXPECT_FALSE(*fs_.Exists(tmp()));
  EXPECT_EQ(fs_.calls(Op::kSync), 2);  // each store reached the disk before its rename
  EXPECT_EQ(fs_.calls(Op::kSyncDir), 2);
}

TEST_F(BackfillProgressFileTest, ACorruptFileIsRefusedNamingItsPath) {
  edgerepl::testing::WriteFileOrDie(file(), "edgerepl-backfill 1\nfrom=oops\n");
  Result<Progress> p = LoadProgress(fs_, dir_.path());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(p.status().message(), file() + ": bad progress file");
}

TEST_F(BackfillProgressFileTest, AReadFailureIsAnErrorNotAMissingFile) {
  ASSERT_TRUE(StoreProgress(fs_, dir_.path(), Sample()).ok());
  fs_.Inject(Fault{Op::kRead, "progress", 0, 1, EIO});
  Result<Progress> p = LoadProgress(fs_, dir_.path());
  ASSERT_FALSE(p.ok());
  EXPECT_FALSE(p.status().IsNotFound());
  EXPECT_EQ(p.status().errno_value(), EIO) << p.status().ToString();
}

TEST_F(BackfillProgressFileTest, EveryFailedStepOfAStoreIsReturnedAndTheOldProgressStays) {
  struct Case {
    const char* name;
    Fault fault;
  };
  const std::vector<Case> cases = {
      {"open", Fault{Op::kOpen, "progress.tmp", 0, 1, EIO}},
      {"truncate", Fault{Op::kTruncate, "progress.tmp", 0, 1, EIO}},
      {"write", Fault{Op::kWrite, "progress.tmp", 0, 1, EIO}},
      {"short write, no space", Fault{Op::kWrite, "progress.tmp", 0, 1, ENOSPC, 10}},
      {"fsync", Fault{Op::kSync, "progress.tmp", 0, 1, EIO}},
      {"rename", Fault{Op::kRename, "progress.tmp", 0, 1, EIO}},
  };
  const Progress old = Sample();
  Progress next = Sample();
  next.done_until_ns = next.to_ns;
  for (const Case& c : cases) {
    fs_.Clear();
    ASSERT_TRUE(StoreProgress(fs_, dir_.path(), old).ok()) << c.name;
    fs_.Inject(c.fault);
    Status st = StoreProgress(fs_, dir_.path(), next);
    EXPECT_FALSE(st.ok()) << c.name;
    EXPECT_EQ(st.errno_value(), c.fault.err) << c.name << ": " << st.ToString();
    Result<Progress> p = LoadProgress(fs_, dir_.path());
    ASSERT_TRUE(p.ok()) << c.name << ": " << p.status().ToString();
    EXPECT_EQ(*p, old) << c.name;
  }
}

TEST_F(BackfillProgressFileTest, AFailedDirectorySyncIsReturned) {
  // The rename is done but may not survive a power loss: the caller must hear of it.
  fs_.Inject(Fault{Op::kSyncDir, "", 0, 1, EIO});
  Status st = StoreProgress(fs_, dir_.path(), Sample());
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.errno_value(), EIO) << st.ToString();
}

TEST_F(BackfillProgressFileTest, APowerLossDuringAStoreLeavesThePreviousProgress) {
  const Progress old = Sample();
  ASSERT_TRUE(StoreProgress(fs_, dir_.path(), old).ok());
  Progress next = old;
  next.done_until_ns = next.to_ns;
  fs_.Inject(Fault{Op::kSync, "progress.tmp", 0, 1, EIO});
  EXPECT_FALSE(StoreProgress(fs_, dir_.path(), next).ok());
  fs_.Crash();
  fs_.Restart();  // what was never synced is gone
  Result<Progress> p = LoadProgress(fs_, dir_.path());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, old);
}

}  // namespace
}  // namespace edgerepl::backfill
