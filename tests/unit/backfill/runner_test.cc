// The runner stepped on fakes: an in-memory history, a sink that can fail or be backlogged, a
// fake clock and a file system that fails on demand. Step() is the thread's loop body, so each
// test drives it and advances the clock by the wait it answers.
#include "agent/backfill/runner.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tests/unit/queue/fault_fs.h"

namespace edgerepl::backfill {
namespace {

using queue::testing::FakeClock;
using queue::testing::Fault;
using queue::testing::FaultFileSystem;
using queue::testing::Op;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr int64_t kSecond = 1'000'000'000;

struct History {
  std::map<int64_t, std::string> lines;  // time -> its line
  // A window holding more than this is answered cut short (the local's max-row-limit).
  uint64_t row_limit = std::numeric_limits<uint64_t>::max();
  int fail_next = 0;                                        // reads to fail from now on
  int64_t fail_from = std::numeric_limits<int64_t>::max();  // every read reaching this fails
  std::vector<std::pair<int64_t, int64_t>> reads;

  void Add(int64_t t, std::string line = "") {
    if (line.empty()) line = "m v=1 " + std::to_string(t) + "\n";
    lines[t] = std::move(line);
  }
};

// Reads a History that outlives it (the test keeps the History, the runner owns the reader).
class HistoryReader final : public LocalReader {
 public:
  explicit HistoryReader(History& h) : h_(h) {}
  Result<WindowData> Read(int64_t from_ns, int64_t to_ns) override {
    h_.reads.emplace_back(from_ns, to_ns);
    if (h_.fail_next > 0) {
      --h_.fail_next;
      return Status::Unavailable("local down");
    }
    if (to_ns > h_.fail_from) return Status::Unavailable("local down");
    WindowData w;
    for (auto it = h_.lines.lower_bound(from_ns); it != h_.lines.end() && it->first < to_ns; ++it) {
      if (w.points == h_.row_limit) {
        w.partial = true;
        break;
      }
      w.lines += it->second;
      ++w.points;
    }
    return w;
  }

 private:
  History& h_;
};

class MemorySink final : public Sink {
 public:
  Status Append(std::string_view payload, uint32_t points) override {
    if (fail_next > 0) {
      --fail_next;
      return Status(StatusCode::kIoError, "queue write failed", EIO);
    }
    records.emplace_back(std::string(payload), points);
    return Status::Ok();
  }
  bool Backlogged() const override { return backlogged; }

  // Every line queued, with how often.
  std::map<std::string, int> Lines() const {
    std::map<std::string, int> out;
    for (const auto& [payload, points] : records) {
      size_t at = 0;
      while (at < payload.size()) {
        size_t nl = payload.find('\n', at);
        out[payload.substr(at, nl + 1 - at)]++;
        at = nl + 1;
      }
    }
    return out;
  }
  uint64_t Points() const {
    uint64_t n = 0;
    for (const auto& r : records) n += r.second;
    return n;
  }

  std::vector<std::pair<std::string, uint32_t>> records;
  int fail_next = 0;
  bool backlogged = false;
};

Progress Job(int64_t from, int64_t to, uint64_t rate = 10'000'000) {
  Progress p;
  p.from_ns = from;
  p.to_ns = to;
  p.done_until_ns = from;
  p.max_points_per_second = rate;
  return p;
}

class BackfillRunnerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Runner> Make(Progress p) {
    return std::make_unique<Runner>("rep", dir_.path(), p, std::make_unique<HistoryReader>(h_),
                                    sink_, clock_, fs_, nullptr);
  }
  // Steps until finished, advancing the clock by each wait; the number of steps.
  int RunToEnd(Runner& r, int max_steps = 100000) {
    int steps = 0;
    while (!r.Finished() && steps < max_steps) {
      clock_.Advance(r.Step());
      ++steps;
    }
    EXPECT_TRUE(r.Finished()) << "not finished after " << steps << " steps";
    return steps;
  }
  Progress Stored() {
    Result<Progress> p = LoadProgress(fs_, dir_.path());
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : Progress{};
  }
  std::map<std::string, int> AllOnce() const {
    std::map<std::string, int> out;
    for (const auto& [t, line] : h_.lines) out[line] = 1;
    return out;
  }

  edgerepl::testing::TempDir dir_;
  FaultFileSystem fs_;
  FakeClock clock_;
  History h_;
  MemorySink sink_;
};

TEST_F(BackfillRunnerTest, EveryPointOfTheRangeIsQueuedOnceAndTheProgressStored) {
  const int64_t from = 1'700'000'000 * kSecond;
  for (int64_t t = from; t < from + 3600 * kSecond; t += 7 * kSecond) h_.Add(t);
  h_.Add(from - 1);               // before the range
  h_.Add(from + 3600 * kSecond);  // at its exclusive end
  auto r = Make(Job(from, from + 3600 * kSecond));
  RunToEnd(*r);
  std::map<std::string, int> want = AllOnce();
  want.erase(h_.lines[from - 1]);
  want.erase(h_.lines[from + 3600 * kSecond]);
  EXPECT_EQ(sink_.Lines(), want);
  EXPECT_EQ(sink_.Points(), want.size());
  Progress p = Stored();
  EXPECT_EQ(p.done_until_ns, from + 3600 * kSecond);
  EXPECT_EQ(p.points, want.size());
  EXPECT_EQ(r->Snapshot().progress, p);
  EXPECT_EQ(r->Snapshot().last_error, "");
}

TEST_F(BackfillRunnerTest, WindowsAreHalfOpenAndTileTheRangeExactly) {
  for (int64_t t = 0; t < 600 * kSecond; t += kSecond / 4) h_.Add(t);
  auto r = Make(Job(-5, 600 * kSecond + 3));
  RunToEnd(*r);
  ASSERT_FALSE(h_.reads.empty());
  EXPECT_EQ(h_.reads.front().first, -5);
  EXPECT_EQ(h_.reads.back().second, 600 * kSecond + 3);
  for (size_t i = 1; i < h_.reads.size(); ++i) {
    EXPECT_EQ(h_.reads[i].first, h_.reads[i - 1].second) << "window " << i;
    EXPECT_LT(h_.reads[i].first, h_.reads[i].second) << "window " << i;
  }
  EXPECT_EQ(sink_.Lines(), AllOnce());
}

TEST_F(BackfillRunnerTest, AnEmptyRangeReadsNothing) {
  auto r = Make(Job(42, 42));
  EXPECT_TRUE(r->Finished());
  EXPECT_EQ(r->Step(), nanoseconds(0));
  EXPECT_TRUE(h_.reads.empty());
  EXPECT_TRUE(sink_.records.empty());
}

TEST_F(BackfillRunnerTest, ARangeShorterThanAWindowIsOneRead) {
  h_.Add(10);
  h_.Add(11);
  auto r = Make(Job(10, 11));
  RunToEnd(*r);
  EXPECT_EQ(h_.reads, (std::vector<std::pair<int64_t, int64_t>>{{10, 11}}));
  EXPECT_EQ(sink_.Lines(), (std::map<std::string, int>{{h_.lines[10], 1}}));
}

TEST_F(BackfillRunnerTest, TheEndOfTheTimeLineDoesNotOverflowAWindow) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  h_.Add(kMax - 1);
  auto r = Make(Job(kMax - 90 * kSecond, kMax));
  RunToEnd(*r);
  EXPECT_EQ(h_.reads.back().second, kMax);
  EXPECT_EQ(sink_.Lines(), AllOnce());
  EXPECT_EQ(Stored().done_until_ns, kMax);
}

TEST_F(BackfillRunnerTest, AHugeSparseRangeGrowsItsWindowToTheMaximum) {
  // Ten years with a point a month: windows double from a minute to a week, so the range takes
  // hundreds of reads, not millions.
  constexpr int64_t kDay = 86400 * kSecond;
  for (int64_t t = 0; t < 3650 * kDay; t += 30 * kDay) h_.Add(t + 12345);
  auto r = Make(Job(0, 3650 * kDay));
  RunToEnd(*r);
  EXPECT_EQ(sink_.Lines(), AllOnce());
  EXPECT_LT(h_.reads.size(), 600u);
  int64_t widest = 0;
  for (auto [a, b] : h_.reads) widest = std::max(widest, b - a);
  EXPECT_EQ(widest, kMaxWindow.count());
}

TEST_F(BackfillRunnerTest, ADenseWindowHalvesTheNext) {
  // A point a millisecond: the first minute holds 60000, three times the target.
  for (int64_t t = 0; t < 300 * kSecond; t += kSecond / 1000) h_.Add(t);
  auto r = Make(Job(0, 300 * kSecond));
  for (int i = 0; i < 100 && h_.reads.size() < 2; ++i) clock_.Advance(r->Step());
  ASSERT_EQ(h_.reads.size(), 2u);
  EXPECT_EQ(h_.reads[0].second - h_.reads[0].first, 60 * kSecond);
  EXPECT_EQ(h_.reads[1].second - h_.reads[1].first, 30 * kSecond);
}

TEST_F(BackfillRunnerTest, AnAnswerCutShortIsReadAgainInHalfTheWindow) {
  for (int64_t t = 0; t < 60 * kSecond; t += kSecond) h_.Add(t);
  h_.row_limit = 20;
  auto r = Make(Job(0, 60 * kSecond));
  RunToEnd(*r);
  // 60 s cut, 30 s cut, 15 s whole; nothing of a cut answer is queued.
  ASSERT_GE(h_.reads.size(), 3u);
  EXPECT_EQ(h_.reads[0], (std::pair<int64_t, int64_t>{0, 60 * kSecond}));
  EXPECT_EQ(h_.reads[1], (std::pair<int64_t, int64_t>{0, 30 * kSecond}));
  EXPECT_EQ(h_.reads[2], (std::pair<int64_t, int64_t>{0, 15 * kSecond}));
  EXPECT_EQ(sink_.Lines(), AllOnce());
}

TEST_F(BackfillRunnerTest, AFailedReadIsRetriedWithBackoffAndLeavesTheProgress) {
  h_.Add(5);
  h_.fail_next = 8;
  auto r = Make(Job(0, 10));
  std::vector<nanoseconds> waits;
  for (int i = 0; i < 8; ++i) {
    waits.push_back(r->Step());
    EXPECT_EQ(r->Snapshot().last_error, "local down");
    EXPECT_EQ(r->Snapshot().progress.done_until_ns, 0);
  }
  EXPECT_EQ(waits, (std::vector<nanoseconds>{milliseconds(500), seconds(1), seconds(2), seconds(4),
                                             seconds(8), seconds(16), seconds(30), seconds(30)}));
  EXPECT_EQ(r->Step(), nanoseconds(0));
  EXPECT_TRUE(r->Finished());
  EXPECT_EQ(r->Snapshot().last_error, "");
  EXPECT_EQ(sink_.Lines(), AllOnce());
  EXPECT_FALSE(LoadProgress(fs_, dir_.path()).status().IsNotFound()) << "stored after success";
}

TEST_F(BackfillRunnerTest, AFailureMidRangeResumesFromTheStoredProgress) {
  for (int64_t t = 0; t < 1800 * kSecond; t += kSecond / 10) h_.Add(t);
  h_.fail_from = 900 * kSecond;
  {
    auto first = Make(Job(0, 1800 * kSecond));
    for (int i = 0; i < 200; ++i) clock_.Advance(first->Step());
    EXPECT_FALSE(first->Finished());
    EXPECT_EQ(first->Snapshot().last_error, "local down");
  }  // the agent goes away
  Progress stored = Stored();
  EXPECT_GT(stored.done_until_ns, 0);
  EXPECT_LE(stored.done_until_ns, 900 * kSecond);
  EXPECT_EQ(stored.points, sink_.Points());

  h_.fail_from = std::numeric_limits<int64_t>::max();
  h_.reads.clear();
  auto second = Make(stored);
  RunToEnd(*second);
  EXPECT_EQ(h_.reads.front().first, stored.done_until_ns);
  EXPECT_EQ(sink_.Lines(), AllOnce());  // nothing missed, nothing read twice
  EXPECT_EQ(Stored().points, h_.lines.size());
}

TEST_F(BackfillRunnerTest, AFailedAppendReadsTheWindowAgainWhole) {
  for (int64_t t = 0; t < 10; ++t) h_.Add(t);
  sink_.fail_next = 1;
  auto r = Make(Job(0, 10));
  EXPECT_EQ(r->Step(), milliseconds(500));
  EXPECT_EQ(r->Snapshot().last_error, "queueing: queue write failed");
  EXPECT_EQ(r->Snapshot().progress.done_until_ns, 0);
  RunToEnd(*r);
  EXPECT_EQ(sink_.Lines(), AllOnce());
  EXPECT_EQ(h_.reads.size(), 2u);
}

TEST_F(BackfillRunnerTest, ABackloggedSinkIsNotFedMore) {
  h_.Add(1);
  sink_.backlogged = true;
  auto r = Make(Job(0, 10));
  EXPECT_EQ(r->Step(), milliseconds(100));
  EXPECT_TRUE(h_.reads.empty());
  sink_.backlogged = false;
  RunToEnd(*r);
  EXPECT_EQ(sink_.Lines(), AllOnce());
}

TEST_F(BackfillRunnerTest, TheRateLimitIsHonoured) {
  // 1000 points/s over a point a millisecond: 100 s of history takes about 100 s to read.
  for (int64_t t = 0; t < 100 * kSecond; t += kSecond / 1000) h_.Add(t);
  auto r = Make(Job(0, 100 * kSecond, 1000));
  const auto start = clock_.Now();
  int reads = 0;
  while (!r->Finished()) {
    const uint64_t queued = sink_.Points();
    const size_t before = h_.reads.size();
    const nanoseconds wait = r->Step();
    if (h_.reads.size() > before) {
      ++reads;
      // A read starts only out of debt: what came before it is at most the burst (1000, the
      // window target at this rate) plus the rate times the time so far.
      const double so_far = std::chrono::duration<double>(clock_.Now() - start).count();
      EXPECT_LE(static_cast<double>(queued), 1000 + 1000 * so_far + 1e-6) << "read " << reads;
    }
    clock_.Advance(wait);
  }
  const double elapsed = std::chrono::duration<double>(clock_.Now() - start).count();
  EXPECT_LE(elapsed, 100.0);  // and it waits no longer than it must
  EXPECT_GE(reads, 3);        // 60 s, 30 s, then the last 10 s
  EXPECT_EQ(sink_.Points(), 100000u);
}

TEST_F(BackfillRunnerTest, ACancelledJobReadsNothingMore) {
  h_.Add(1);
  Progress p = Job(0, 10);
  p.cancelled = true;
  auto r = Make(p);
  EXPECT_TRUE(r->Finished());
  EXPECT_EQ(r->Step(), nanoseconds(0));
  EXPECT_TRUE(h_.reads.empty());
}

TEST_F(BackfillRunnerTest, AFailedProgressStoreIsRetriedUntilItHolds) {
  h_.Add(1);
  fs_.Inject(Fault{Op::kSync, "progress", 0, -1, EIO});
  auto r = Make(Job(0, 10));
  EXPECT_EQ(r->Step(), nanoseconds(0));  // read and queued; the store failed
  EXPECT_TRUE(r->Finished());
  EXPECT_TRUE(LoadProgress(fs_, dir_.path()).status().IsNotFound());
  EXPECT_EQ(r->Step(), milliseconds(500)) << "the store is tried again";
  fs_.Clear();
  EXPECT_EQ(r->Step(), nanoseconds(0));
  EXPECT_EQ(Stored().done_until_ns, 10);
  EXPECT_EQ(Stored().points, 1u);
  EXPECT_EQ(h_.reads.size(), 1u);
}

TEST_F(BackfillRunnerTest, RecordsHoldWholeLinesUpToTheRecordLimit) {
  const std::string pad(100 * 1024, 'x');
  for (int64_t t = 0; t < 12; ++t) {
    h_.Add(t, "m s=\"" + pad + "\" " + std::to_string(t) + "\n");
  }
  h_.Add(20, "m s=\"" + std::string(kMaxRecordBytes + 10, 'y') + "\" 20\n");  // alone
  auto r = Make(Job(0, 30));
  RunToEnd(*r);
  EXPECT_EQ(sink_.Lines(), AllOnce());
  ASSERT_GE(sink_.records.size(), 4u);
  for (const auto& [payload, points] : sink_.records) {
    EXPECT_EQ(payload.back(), '\n');
    EXPECT_EQ(static_cast<uint32_t>(std::count(payload.begin(), payload.end(), '\n')), points);
    if (points > 1) {
      EXPECT_LE(payload.size(), kMaxRecordBytes);
    }
  }
  EXPECT_EQ(sink_.records.back().second, 1u);
  EXPECT_GT(sink_.records.back().first.size(), kMaxRecordBytes);
}

TEST_F(BackfillRunnerTest, TheMetricsFollowTheReads) {
  prometheus::Registry registry;
  BackfillMetrics metrics(registry, "rep");
  for (int64_t t = 0; t < 40; ++t) h_.Add(t);
  h_.fail_next = 2;
  Runner r("rep", dir_.path(), Job(0, 40), std::make_unique<HistoryReader>(h_), sink_, clock_, fs_,
           &metrics);
  RunToEnd(r);
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, registry.Collect());
  for (const char* line : {"edgerepl_backfill_read_points_total{replication=\"rep\"} 40\n",
                           "edgerepl_backfill_local_query_errors_total{replication=\"rep\"} 2\n",
                           "edgerepl_backfill_local_query_duration_seconds_count{replication="
                           "\"rep\"} 3\n",
                           "edgerepl_backfill_progress_ratio{replication=\"rep\"} 1\n"}) {
    EXPECT_NE(text.str().find(line), std::string::npos) << line << text.str();
  }
}

TEST_F(BackfillRunnerTest, StopEndsTheThreadWhileItWaitsToRetry) {
  h_.fail_next = 1000;  // the runner's thread waits between failed reads
  auto r = Make(Job(0, 10));
  r->Start();
  while (r->Snapshot().last_error.empty()) std::this_thread::sleep_for(milliseconds(1));
  const auto start = std::chrono::steady_clock::now();
  r->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(400));
  EXPECT_FALSE(r->Finished());
}

TEST_F(BackfillRunnerTest, TheThreadEndsByItselfWhenTheRangeIsDone) {
  for (int64_t t = 0; t < 100; ++t) h_.Add(t);
  auto r = Make(Job(0, 100));
  r->Start();
  for (int i = 0; i < 5000 && !r->Finished(); ++i) std::this_thread::sleep_for(milliseconds(1));
  EXPECT_TRUE(r->Finished());
  r->Stop();
  EXPECT_EQ(sink_.Lines(), AllOnce());
  EXPECT_EQ(Stored().done_until_ns, 100);
}

}  // namespace
}  // namespace edgerepl::backfill
