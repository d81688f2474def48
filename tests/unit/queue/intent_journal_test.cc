#include "agent/queue/intent_journal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/unit/queue/queue_test_util.h"

namespace edgerepl::queue {
namespace {

using namespace testing;  // NOLINT
using edgerepl::testing::TempDir;

class IntentJournalTest : public ::testing::Test {
 protected:
  IntentJournalOptions Options(config::Durability d = config::Durability::kSync) {
    IntentJournalOptions o;
    o.dir = dir_.Join("intents");
    o.durability = d;
    o.sync_interval = std::chrono::milliseconds(20);
    o.file_bytes = 4096;
    return o;
  }
  std::unique_ptr<IntentJournal> Open(const IntentJournalOptions& o,
                                      std::vector<PendingIntent>* pending) {
    auto j = IntentJournal::Open(o, fs_, pending);
    EXPECT_TRUE(j.ok()) << j.status().ToString();
    return j.ok() ? std::move(*j) : nullptr;
  }
  static uint64_t Begin(IntentJournal& j, const std::string& a, const std::string& b) {
    auto id = j.Begin({a, b});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }
  size_t Files() {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(Options().dir)) {
      if (e.path().extension() == kIntentSuffix) ++n;
    }
    return n;
  }

  TempDir dir_;
  FaultFileSystem fs_;
};

TEST_F(IntentJournalTest, UnresolvedBeginsAreHandedBackInOrderAndResolvedOnesAreNot) {
  std::vector<PendingIntent> pending;
  {
    auto j = Open(Options(), &pending);
    ASSERT_TRUE(j);
    EXPECT_TRUE(pending.empty());
    uint64_t a = Begin(*j, "head-a|", "body a");
    uint64_t b = Begin(*j, "head-b|", "body b");
    uint64_t c = Begin(*j, "head-c|", std::string(100, 'c'));
    j->Resolve(b);
    EXPECT_LT(a, c);
    EXPECT_EQ(j->Stats().unresolved, 2u);
    // Destroyed with two writes unanswered, as when handlers are left behind at a stop.
  }
  auto j = Open(Options(), &pending);
  ASSERT_TRUE(j);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].payload, "head-a|body a");
  EXPECT_EQ(pending[1].payload, "head-c|" + std::string(100, 'c'));
  // Still pending until resolved: a start that dies during its replay replays them again.
  std::vector<PendingIntent> again;
  j.reset();
  j = Open(Options(), &again);
  ASSERT_EQ(again.size(), 2u);
  j->Resolve(again[0].id);
  j->Resolve(again[1].id);
  uint64_t d = Begin(*j, "new|", "d");
  EXPECT_GT(d, again[1].id) << "a new begin must not take a pending one's id";
  j->Resolve(d);
  j->Close();
  EXPECT_EQ(Files(), 0u) << "a clean stop with everything resolved leaves no file";
  std::vector<PendingIntent> none;
  j = Open(Options(), &none);
  EXPECT_TRUE(none.empty());
}

TEST_F(IntentJournalTest, FilesRollAndResolvedOnesAreDeleted) {
  std::vector<PendingIntent> pending;
  auto j = Open(Options(), &pending);
  ASSERT_TRUE(j);
  uint64_t held = Begin(*j, "held|", std::string(1000, 'h'));
  for (int i = 0; i < 200; ++i) {
    uint64_t id = Begin(*j, "w|", std::string(500, 'x'));
    j->Resolve(id);
  }
  // The file holding `held` stays, the resolved ones in between are gone: two files at most.
  EXPECT_LE(Files(), 2u);
  EXPECT_LE(j->Stats().files, 2u);
  j->Resolve(held);
  Begin(*j, "w|", std::string(4000, 'y'));  // rolls past the held file, which goes
  EXPECT_EQ(Files(), 1u);
}

TEST_F(IntentJournalTest, SyncDurabilitySurvivesAPowerLoss) {
  std::vector<PendingIntent> pending;
  auto j = Open(Options(), &pending);
  ASSERT_TRUE(j);
  Begin(*j, "p|", "survives");
  fs_.Crash();
  j.reset();
  fs_.Restart();
  j = Open(Options(), &pending);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].payload, "p|survives");
}

TEST_F(IntentJournalTest, IntervalDurabilityIsSyncedWithinTheInterval) {
  std::vector<PendingIntent> pending;
  auto o = Options(config::Durability::kInterval);
  auto j = Open(o, &pending);
  ASSERT_TRUE(j);
  const int syncs = fs_.calls(Op::kSync);
  Begin(*j, "i|", "later");
  EXPECT_EQ(fs_.calls(Op::kSync), syncs) << "interval durability does not sync in Begin";
  for (int i = 0; i < 200 && fs_.calls(Op::kSync) == syncs; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GT(fs_.calls(Op::kSync), syncs);
  fs_.Crash();
  j.reset();
  fs_.Restart();
  j = Open(o, &pending);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].payload, "i|later");
}

TEST_F(IntentJournalTest, ATornTailIsCutOffAndWhatPrecedesItKept) {
  std::vector<PendingIntent> pending;
  std::string path;
  {
    auto j = Open(Options(), &pending);
    Begin(*j, "kept|", "1");
  }
  for (const auto& e : std::filesystem::directory_iterator(Options().dir)) path = e.path();
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << std::string("\x12\x34\x56\x78\xff\xff\x00\x00garbage", 16);
  }
  auto j = Open(Options(), &pending);
  ASSERT_TRUE(j);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].payload, "kept|1");
  j->Resolve(pending[0].id);
  j.reset();
  std::vector<PendingIntent> none;
  j = Open(Options(), &none);
  EXPECT_TRUE(none.empty()) << "the resolved mark written after the cut-off tail must be read";
}

TEST_F(IntentJournalTest, AFailedWriteRecordsNothing) {
  std::vector<PendingIntent> pending;
  auto j = Open(Options(), &pending);
  ASSERT_TRUE(j);
  fs_.Inject(Fault{Op::kWrite, "intents", 0, 1, ENOSPC, 7});
  auto id = j->Begin({"full|", "disk"});
  EXPECT_FALSE(id.ok());
  fs_.Inject(Fault{Op::kSync, "intents", 0, 1, EIO, 0});
  auto synced = j->Begin({"bad|", "sync"});
  EXPECT_FALSE(synced.ok());
  Begin(*j, "ok|", "after");
  j.reset();
  j = Open(Options(), &pending);
  ASSERT_EQ(pending.size(), 1u) << "neither failed begin may be replayed";
  EXPECT_EQ(pending[0].payload, "ok|after");
}

}  // namespace
}  // namespace edgerepl::queue
