// Random bit flips and truncations in segments and in the cursor: the queue opens, returns only
// intact records in order, drops (and counts) only what was damaged, and never crashes.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>

#include "agent/queue/queue.h"
#include "tests/unit/queue/queue_test_util.h"

namespace edgerepl::queue {
namespace {

using namespace testing;  // NOLINT
namespace stdfs = std::filesystem;

struct Placed {
  int id;
  uint64_t segment;
  uint64_t begin, end;  // byte range in the segment file
};

TEST(QueueCorruptionTest, RandomDamageDropsOnlyDamagedRecords) {
  edgerepl::testing::TempDir dir;
  FakeClock clock;
  QueueOptions o;
  o.dir = dir.Join("pristine");
  o.segment_bytes = 2048;
  std::vector<Placed> placed;
  std::map<std::string, int> id_of;
  int acked_through = -1;
  {
    auto q = Queue::Open(o, PosixFileSystem(), clock, nullptr);
    ASSERT_TRUE(q.ok());
    for (int i = 0; i < 80; ++i) {
      std::string p =
          "m,id=" + std::to_string(i) + " v=" + std::string(40 + (i * 37) % 200, 'z') + "\n";
      ASSERT_TRUE((*q)->Append(p, 1).ok());
      id_of[p] = i;
    }
    auto r = (*q)->ReadNext(1 << 20);
    ASSERT_EQ(r->size(), 80u);
    for (const Record& rec : *r) {
      placed.push_back({id_of[rec.payload], PositionSegment(rec.position),
                        PositionOffset(rec.position),
                        PositionOffset(rec.position) + kRecordHeaderBytes + rec.payload.size()});
    }
    // Acknowledge a prefix so the cursor sits inside the second segment.
    ASSERT_TRUE((*q)->Ack((*r)[12].position).ok());
    acked_through = 12;
  }
  std::mt19937_64 rng(42);
  auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
  for (int iter = 0; iter < 150; ++iter) {
    SCOPED_TRACE("iteration " + std::to_string(iter));
    std::string copy = dir.Join("copy" + std::to_string(iter));
    stdfs::copy(o.dir, copy);
    std::vector<std::string> segs = SegmentFiles(copy);
    // Damage: per segment, the set of damaged byte offsets, or a truncation point.
    std::map<uint64_t, std::vector<uint64_t>> flipped;
    std::map<uint64_t, uint64_t> cut;
    bool cursor_damaged = false;
    int kinds = static_cast<int>(pick(3)) + 1;
    for (int k = 0; k < kinds; ++k) {
      uint64_t what = pick(10);
      if (what < 6) {
        const std::string& s = segs[pick(segs.size())];
        uint64_t n = *ParseSegmentFileName(s.substr(copy.size() + 1));
        uint64_t off = pick(FileSize(s));
        FlipByte(s, off, static_cast<char>(1 << pick(8)));
        flipped[n].push_back(off);
      } else if (what < 8) {
        const std::string& s = segs[pick(segs.size())];
        uint64_t n = *ParseSegmentFileName(s.substr(copy.size() + 1));
        uint64_t size = FileSize(s);
        uint64_t by = pick(size) + 1;
        ShrinkBy(s, by);
        uint64_t at = size - by;
        cut[n] = cut.count(n) ? std::min(cut[n], at) : at;
      } else if (what < 9) {
        FlipByte(copy + "/cursor", pick(kCursorBytes), static_cast<char>(1 << pick(8)));
        cursor_damaged = true;
      } else {
        ShrinkBy(copy + "/cursor", pick(kCursorBytes) + 1);
        cursor_damaged = true;
      }
    }
    QueueOptions co = o;
    co.dir = copy;
    auto q = Queue::Open(co, PosixFileSystem(), clock, nullptr);
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    std::vector<std::string> got = Drain(**q);
    // Intact, in order, no duplicates.
    int last = -1;
    std::set<int> present;
    for (const std::string& p : got) {
      auto it = id_of.find(p);
      ASSERT_NE(it, id_of.end()) << "a record that was never written: " << p;
      ASSERT_GT(it->second, last);
      last = it->second;
      present.insert(it->second);
    }
    // Every undamaged record after the cursor is there; before it only if the cursor was lost.
    bool any_dropped = false;
    for (const Placed& pl : placed) {
      bool damaged = false;
      if (cut.count(pl.segment) && pl.end > cut[pl.segment]) damaged = true;
      for (uint64_t off : flipped[pl.segment]) damaged |= off >= pl.begin && off < pl.end;
      // A segment cut inside its header is removed whole: it was "being created".
      if (cut.count(pl.segment) && cut[pl.segment] < kSegmentHeaderBytes) damaged = true;
      if (damaged) {
        any_dropped = true;
        continue;
      }
      if (pl.id > acked_through) {
        EXPECT_TRUE(present.count(pl.id)) << "lost undamaged record " << pl.id;
      } else if (!cursor_damaged) {
        EXPECT_FALSE(present.count(pl.id)) << "acknowledged record " << pl.id << " came back";
      }
    }
    (void)any_dropped;
    // A record damaged in an older segment (not a torn tail) is counted as corrupt.
    bool counted_expected = false;
    uint64_t last_seg = *ParseSegmentFileName(segs.back().substr(copy.size() + 1));
    for (const Placed& pl : placed) {
      if (pl.id <= acked_through || pl.segment == last_seg) continue;
      for (uint64_t off : flipped[pl.segment]) {
        counted_expected |= off >= pl.begin + 4 && off < pl.end;
      }
    }
    if (counted_expected && !cursor_damaged && cut.empty()) {
      EXPECT_GT(DroppedBytes((*q)->Stats(), "corrupt"), 0u);
    }
    // The damaged queue still takes appends and reads them back after a reopen.
    ASSERT_TRUE((*q)->Append("after v=1i\n", 1).ok());
    q->reset();
    auto again = Queue::Open(co, PosixFileSystem(), clock, nullptr);
    ASSERT_TRUE(again.ok());
    std::vector<std::string> after = Drain(**again);
    ASSERT_FALSE(after.empty());
    EXPECT_EQ(after.back(), "after v=1i\n");
    stdfs::remove_all(copy);
  }
}

}  // namespace
}  // namespace edgerepl::queue
