// Random interleavings of append, read, ack, rewind, reopen, power loss (sync durability: what
// was answered must survive) and injected faults, checked against a plain in-memory model of what
// the queue must hold.
#include <gtest/gtest.h>

#include <deque>
#include <random>

#include "agent/queue/queue.h"
#include "tests/unit/queue/queue_test_util.h"

namespace edgerepl::queue {
namespace {

using namespace testing;  // NOLINT

struct ModelRecord {
  std::string payload;
  uint32_t points;
  uint64_t position = 0;  // known once handed out
};

void RunProperty(uint64_t seed, config::Durability durability, int steps) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
  edgerepl::testing::TempDir dir;
  FaultFileSystem fs;
  FakeClock clock;
  QueueOptions o;
  o.dir = dir.Join("q");
  o.segment_bytes = 1024;
  o.max_bytes = 16 << 10;
  o.max_age_seconds = 0;
  o.durability = durability;
  o.sync_interval = std::chrono::milliseconds(5);
  auto open = [&] {
    auto q = Queue::Open(o, fs, clock, nullptr);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return q.ok() ? std::move(*q) : nullptr;
  };
  std::unique_ptr<Queue> q = open();
  ASSERT_NE(q, nullptr);

  std::deque<ModelRecord> model;  // unacknowledged, in order
  size_t next = 0;                // first not handed out
  uint64_t bytes = 0;
  int serial = 0;
  for (int step = 0; step < steps; ++step) {
    uint64_t op = pick(100);
    if (op < 40) {
      std::string payload = "m,s=" + std::to_string(serial++) + " v=1i " +
                            std::string(pick(1200), static_cast<char>('a' + pick(26))) + "\n";
      uint32_t points = static_cast<uint32_t>(pick(5));
      uint64_t size = kRecordHeaderBytes + payload.size();
      bool fault = pick(10) == 0;
      if (fault) {
        int which = static_cast<int>(pick(3));
        if (which == 0) fs.Inject(Fault{Op::kWrite, ".seg", 0, 1, ENOSPC, pick(payload.size())});
        if (which == 1) fs.Inject(Fault{Op::kWrite, ".seg", 0, 1, EIO, 0});
        // An fsync failure is only recoverable without the queue turning read-only in sync mode.
        if (which == 2 && durability == config::Durability::kSync) {
          fs.Inject(Fault{Op::kSync, ".seg", 0, 1, EIO});
        }
      }
      bool room = bytes + size <= o.max_bytes;
      Status st = q->Append(payload, points);
      fs.Clear();
      if (st.ok()) {
        ASSERT_TRUE(room);
        model.push_back({payload, points});
        bytes += size;
      } else {
        ASSERT_TRUE(st.IsNoSpace()) << st.ToString();
        // Only refused when full, or when a fault was injected (which may hit a rollover's new
        // segment instead of this record's write).
        ASSERT_TRUE(!room || fault) << st.ToString();
      }
    } else if (op < 70) {
      size_t max = pick(3000) + 1;
      auto r = q->ReadNext(max);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      size_t got_bytes = 0;
      for (size_t i = 0; i < r->size(); ++i) {
        ASSERT_LT(next, model.size());
        ASSERT_EQ((*r)[i].payload, model[next].payload);
        ASSERT_EQ((*r)[i].points, model[next].points);
        if (next > 0) {
          ASSERT_GT((*r)[i].position, model[next - 1].position);
        }
        model[next].position = (*r)[i].position;
        ++next;
        got_bytes += (*r)[i].payload.size();
        if (i + 1 < r->size()) {
          ASSERT_LT(got_bytes, max);
        }
      }
      if (r->empty() || got_bytes < max) {
        ASSERT_EQ(next, model.size());
      }
    } else if (op < 85) {
      if (next == 0) continue;
      size_t k = pick(next);
      bool fail = pick(8) == 0;
      if (fail) fs.Inject(Fault{Op::kRename, "cursor", 0, 1, EIO});
      Status st = q->Ack(model[k].position);
      fs.Clear();
      if (fail) {
        ASSERT_FALSE(st.ok());
        continue;
      }
      ASSERT_TRUE(st.ok()) << st.ToString();
      for (size_t i = 0; i <= k; ++i) {
        bytes -= kRecordHeaderBytes + model.front().payload.size();
        model.pop_front();
      }
      next -= k + 1;
    } else if (op < 92) {
      q->RewindToCursor();
      next = 0;
    } else {
      bool power_loss = op >= 96 && durability == config::Durability::kSync;
      if (power_loss) fs.Crash();  // nothing unsynced reaches the disk from here on
      q.reset();
      if (power_loss) fs.Restart();
      q = open();
      ASSERT_NE(q, nullptr);
      next = 0;
      ASSERT_EQ(Dropped(q->Stats(), "corrupt"), 0u);
    }
    QueueStats s = q->Stats();
    ASSERT_EQ(s.pending_records, model.size());
    ASSERT_EQ(s.bytes, bytes);
    uint64_t points = 0;
    for (auto& m : model) points += m.points;
    ASSERT_EQ(s.pending_points, points);
  }
  q.reset();
  q = open();
  std::vector<std::string> want;
  for (auto& m : model) want.push_back(m.payload);
  ASSERT_EQ(Drain(*q), want);
}

TEST(QueuePropertyTest, SyncDurabilityMatchesTheModel) {
  for (uint64_t seed : {1, 2}) RunProperty(seed, config::Durability::kSync, 800);
}

TEST(QueuePropertyTest, IntervalDurabilityMatchesTheModel) {
  for (uint64_t seed : {3, 4}) RunProperty(seed, config::Durability::kInterval, 800);
}

}  // namespace
}  // namespace edgerepl::queue
