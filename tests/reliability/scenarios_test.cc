// Reliability scenarios against the real agent binary, a local and a remote influxd: the promise
// under test is that every write acknowledged to a client is replicated, or counted as dropped
// with a reason, whatever happens to the agent, the disk, the network or the remote.
//
// Short forms run in ctest; scripts/reliability.sh sets EDGEREPL_RELIABILITY_SECONDS (and
// EDGEREPL_RELIABILITY_CYCLES) for the long forms. See docs/reliability.md.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "tests/reliability/http_post.h"
#include "tests/reliability/world.h"

namespace edgerepl::reliability {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using testing::FaultRule;

#define WORLD_UP(world)                         \
  do {                                          \
    std::string why;                            \
    if (!(world).Up(&why)) GTEST_SKIP() << why; \
  } while (0)

seconds DrainTimeout() {
  return seconds(IsLongForm() ? 900 : 120);
}

void ExpectExact(const AccountingReport& r) {
  EXPECT_GT(r.acked, 0u) << r.Summary();
  EXPECT_EQ(r.acked_missing, 0u) << r.Summary();
  EXPECT_TRUE(r.Explained()) << r.Summary();
  std::printf("accounting: %s\n", r.Summary().c_str());
}

std::vector<fs::path> Segments(const std::string& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".seg") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ReliabilityTest, BaselineAccountingIsExact) {
  World world;
  WORLD_UP(world);
  LoadGenerator load(world.Load("baseline"));
  load.Start();
  std::this_thread::sleep_for(seconds(IsLongForm() ? LongSeconds() : 3));
  load.Stop();
  ASSERT_TRUE(world.Drain("baseline", DrainTimeout()));
  AccountingReport r = world.Check("baseline", load.Fates());
  ExpectExact(r);
  EXPECT_EQ(r.dropped_total, 0) << r.Summary();
  EXPECT_EQ(r.unknown + r.refused, 0u) << r.Summary();
}

// Load in which some requests hold a field-type conflict: influxd answers those with a partial
// write (400) and stores the other lines. The stored lines count as acknowledged (stored locally,
// so the agent must replicate them), the conflicting ones as refused; the agent must replicate
// exactly the stored ones and count exactly the refused ones.
TEST(ReliabilityTest, PartialWritesUnderLoadReplicateTheStoredLinesAndCountTheRefused) {
  World world;
  WORLD_UP(world);
  // seq becomes an integer field before any conflicting line arrives.
  HttpResult setup = HttpCall(
      world.agent().write_port(), "POST", std::string("/write?db=") + kDb + "&precision=ns",
      "acct,gen=setup seq=0i " + std::to_string(kBaseNs - 1) + "\n", seconds(10));
  ASSERT_EQ(setup.status, 204) << setup.body;
  LoadOptions lo = world.Load("partial");
  lo.conflict_every = 137;  // about one request in two holds one conflicting line
  LoadGenerator load(lo);
  load.Start();
  std::this_thread::sleep_for(seconds(IsLongForm() ? LongSeconds() : 3));
  load.Stop();
  ASSERT_TRUE(world.Drain("partial", DrainTimeout()));
  AccountingReport r = world.Check("partial", load.Fates());
  ExpectExact(r);
  std::printf("partial writes: %llu of %llu requests\n",
              static_cast<unsigned long long>(load.partial_writes()),
              static_cast<unsigned long long>(load.requests()));
  EXPECT_GT(load.partial_writes(), 0u) << r.Summary();
  EXPECT_EQ(r.dropped_total, 0) << r.Summary();
  EXPECT_EQ(r.unknown, 0u) << r.Summary();
  // Every refused point is a conflicting line the agent counted; nothing else was refused.
  EXPECT_GT(r.refused, 0u) << r.Summary();
  EXPECT_EQ(static_cast<double>(r.refused), r.write_refused) << r.Summary();
  EXPECT_EQ(r.remote_distinct, r.acked) << r.Summary();
}

// Where the crash loop keeps every cycle's agent log when it fails: $EDGEREPL_RELIABILITY_KEEP
// (scripts/reliability.sh sets it under its OUT_DIR), else a directory under /tmp named in the
// failure message.
std::string KeepDir(const std::string& test) {
  const char* env = std::getenv("EDGEREPL_RELIABILITY_KEEP");
  std::string base = env != nullptr && *env != '\0' ? env : "/tmp";
  return base + "/edgerepl-" + test + "-" + std::to_string(::getpid());
}

// Copies the cycle logs out of the world's temp dir when the test failed (the dir is removed).
class KeptOnFailure {
 public:
  KeptOnFailure(std::string from, std::string to) : from_(std::move(from)), to_(std::move(to)) {}
  ~KeptOnFailure() {
    if (!::testing::Test::HasFailure()) return;
    std::error_code ec;
    fs::create_directories(to_, ec);
    fs::copy(from_, to_, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
    std::printf("crash loop: every cycle's agent log kept in %s%s\n", to_.c_str(),
                ec ? (" (copy failed: " + ec.message() + ")").c_str() : "");
  }

 private:
  std::string from_, to_;
};

// The longest a restarted agent may take to be ready again after a kill -9 under load
// (docs/reliability.md "Time to ready after a crash"): EDGEREPL_READY_BOUND_SECONDS, default 30 s.
seconds ReadyBound() {
  return seconds(EnvInt("EDGEREPL_READY_BOUND_SECONDS", 30));
}

// Busy threads that keep every core's run queue full, so restarts happen on a loaded machine.
class CpuHogs {
 public:
  explicit CpuHogs(int n) {
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back([this] {
        volatile uint64_t x = 0;
        while (!stop_.load(std::memory_order_relaxed)) x = x + 1;
      });
    }
  }
  ~CpuHogs() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// kill -9 at random moments under load, and aimed at segment rollover (a new .seg file) and at
// cursor writes (cursor.tmp created), restarting at once each time; then drain and account: every
// acknowledged point at the remote, and the local and the remote database holding the same points
// (the writes a kill interrupted are replayed from the intent journal). Every restart must be
// ready within ReadyBound(); each cycle's agent log is kept when the test fails.
// On a loaded machine the data rate can be too low to roll a segment over inside the window of an
// aimed kill, so that variant attempts rollover kills without requiring one (the unloaded loops
// do).
void CrashLoop(int max_in_flight, int default_cycles = 20, int default_hogs = 0,
               bool require_rollover_kill = true) {
  WorldOptions wo;
  wo.max_in_flight = max_in_flight;
  World world(wo);
  WORLD_UP(world);
  const std::string cycle_logs = world.dir() + "/cycle-logs";
  fs::create_directories(cycle_logs);
  KeptOnFailure keep(cycle_logs,
                     KeepDir(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  // Drop counters restart with every process, so a drop before a kill could not be told from a
  // loss: a queue big enough never to fill, and a load the remote drains faster than it arrives,
  // make any drop a failure; counters are also read before every kill.
  config::Config c = world.agent().config();
  c.replications[0].max_queue_size_bytes = 1ull << 30;
  world.agent().Stop();
  world.agent().SetConfig(c);
  world.agent().SetLogPath(cycle_logs + "/agent-start.log");
  world.agent().Start();
  const int cycles =
      static_cast<int>(EnvInt("EDGEREPL_RELIABILITY_CYCLES", IsLongForm() ? 100 : default_cycles));
  // EDGEREPL_RELIABILITY_HOGS busy threads (one per core by default in the loaded variant).
  const int hogs = static_cast<int>(EnvInt("EDGEREPL_RELIABILITY_HOGS", default_hogs));
  CpuHogs cpu_hogs(hogs);
  LoadOptions lo = world.Load("crash");
  // Big points roll the 16 MiB segments over often enough to aim kills at it (the segment size
  // is not configurable, so the data rate has to do it).
  lo.pad_bytes = 900;
  lo.points_per_request = 100;
  lo.pause = milliseconds(30);
  lo.timeout = milliseconds(5000);
  LoadGenerator load(lo);
  load.Start();
  std::mt19937 rng(static_cast<uint32_t>(EnvInt("EDGEREPL_RELIABILITY_SEED", 20261125)));
  int rollover_kills = 0, cursor_kills = 0, random_kills = 0;
  double dropped_before_kills = 0;
  std::vector<double> ready_ms;
  auto started = steady_clock::now();
  auto wait_ready = [&](int cycle) {
    // Past the bound it keeps waiting (up to a minute) so the log shows what the start was doing.
    bool ready = world.agent().WaitReady(seconds(60));
    const double ms =
        std::chrono::duration<double, std::milli>(steady_clock::now() - started).count();
    ready_ms.push_back(ms);
    const double bound_ms = std::chrono::duration<double, std::milli>(ReadyBound()).count();
    EXPECT_LE(ms, bound_ms) << "cycle " << cycle << ": ready only after " << ms << " ms; see "
                            << world.agent().log_path();
    return ready;
  };
  for (int i = 0; i < cycles; ++i) {
    ASSERT_TRUE(wait_ready(i)) << "cycle " << i << ", see " << world.agent().log_path();
    dropped_before_kills +=
        SumMetric(world.agent().Metrics(), "edgerepl_queue_dropped_points_total");
    switch (i % 4) {
      case 1:
        rollover_kills += KillOnCreate(world.agent(), world.queue_dir(), ".seg", seconds(8));
        break;
      case 3:
        cursor_kills += KillOnCreate(world.agent(), world.queue_dir(), "cursor.tmp", seconds(3));
        break;
      default: {
        auto wait = milliseconds(50 + rng() % 1500);
        std::this_thread::sleep_for(wait - milliseconds(20));
        dropped_before_kills +=
            SumMetric(world.agent().Metrics(), "edgerepl_queue_dropped_points_total");
        world.agent().Kill9();
        ++random_kills;
      }
    }
    char name[32];
    std::snprintf(name, sizeof name, "/agent-%04d.log", i);
    world.agent().SetLogPath(cycle_logs + name);
    started = steady_clock::now();
    world.agent().Start();
  }
  ASSERT_TRUE(wait_ready(cycles));
  std::this_thread::sleep_for(seconds(1));
  load.Stop();
  std::vector<double> sorted = ready_ms;
  std::sort(sorted.begin(), sorted.end());
  std::printf(
      "crash loop: %d cycles, %d random, %d at rollover, %d at cursor writes; ready after a "
      "restart p50 %.0f ms, max %.0f ms (bound %lld s), %d busy threads\n",
      cycles, random_kills, rollover_kills, cursor_kills, sorted[sorted.size() / 2], sorted.back(),
      static_cast<long long>(ReadyBound().count()), hogs);
  ASSERT_TRUE(world.Drain("crash", DrainTimeout()));
  AccountingReport r = world.Check("crash", load.Fates());
  ExpectExact(r);
  EXPECT_EQ(r.dropped_total + dropped_before_kills, 0) << r.Summary();
  EXPECT_TRUE(r.local_read) << "the local influxd could not be read";
  EXPECT_EQ(r.local_not_remote, 0u) << r.Summary();
  EXPECT_EQ(r.remote_not_local, 0u) << r.Summary();
  EXPECT_GT(cursor_kills, 0) << "no kill landed during a cursor write";
  if (require_rollover_kill) {
    EXPECT_GT(rollover_kills, 0) << "no kill landed during a segment rollover";
  }
}

TEST(ReliabilityTest, CrashLoopLosesNothingAcknowledged) {
  CrashLoop(1);
}

// Pipelined, a kill also lands while batches answered behind an older request wait for it and
// while the cursor is stored on its own thread.
TEST(ReliabilityTest, CrashLoopWithFourInFlightLosesNothingAcknowledged) {
  CrashLoop(4);
}

// The same loop with the cores kept busy (a thread per core spinning beside the load, the
// influxds and the agent): every restart must still be ready within ReadyBound().
TEST(ReliabilityTest, CrashLoopOnALoadedMachineIsReadyWithinTheBound) {
  CrashLoop(1, /*default_cycles=*/8,
            /*default_hogs=*/static_cast<int>(std::max(2u, std::thread::hardware_concurrency())),
            /*require_rollover_kill=*/false);
}

// The remote is stopped under load (seconds in the short form, minutes in the long one): the
// local write latency stays flat, and everything arrives once it is back.
TEST(ReliabilityTest, RemoteOutageUnderLoad) {
  World world;
  WORLD_UP(world);
  // Minutes of this load outgrow the default 64 MiB queue (limits and their drops are the
  // disk-full scenario's subject): the queue is sized for the outage, as an operator expecting
  // one would, so any drop here is a failure.
  config::Config c = world.agent().config();
  c.replications[0].max_queue_size_bytes = 1ull << 30;
  world.agent().Stop();
  world.agent().SetConfig(c);
  world.agent().Start();
  ASSERT_TRUE(world.agent().WaitReady(seconds(60))) << world.agent().log_path();
  LoadOptions lo = world.Load("outage");
  lo.pause = milliseconds(20);
  LoadGenerator load(lo);
  load.Start();
  std::this_thread::sleep_for(seconds(3));
  auto down = steady_clock::now();
  world.remote().Stop();
  std::this_thread::sleep_for(seconds(IsLongForm() ? std::max<int64_t>(120, LongSeconds()) : 6));
  auto up = steady_clock::now();
  world.remote().Start();
  std::this_thread::sleep_for(seconds(3));
  load.Stop();
  std::vector<LatencySample> lat = load.Latencies();
  LatencyStats before = Stats(lat, down - seconds(3), down);
  LatencyStats during = Stats(lat, down, up);
  std::printf("write latency before outage: %s\nduring outage: %s\n", before.ToString().c_str(),
              during.ToString().c_str());
  EXPECT_LE(during.p50_ms, 2 * before.p50_ms + 20);
  EXPECT_LE(during.p99_ms, 3 * before.p99_ms + 100);
  ASSERT_TRUE(world.Drain("outage", DrainTimeout()));
  AccountingReport r = world.Check("outage", load.Fates());
  ExpectExact(r);
  EXPECT_EQ(r.dropped_total, 0) << r.Summary();
}

// Through the fault proxy: latency, resets, stalls past the remote timeout, 5xx bursts, 429 with
// Retry-After and lost answers, each for a phase; local writes stay flat, nothing is lost.
void RemoteMisbehaves(int max_in_flight) {
  WorldOptions wo;
  wo.proxy = true;
  wo.max_in_flight = max_in_flight;
  World world(wo);
  WORLD_UP(world);
  LoadOptions lo = world.Load("proxy");
  lo.pause = milliseconds(20);
  LoadGenerator load(lo);
  load.Start();
  const auto phase = seconds(IsLongForm() ? std::max<int64_t>(10, LongSeconds() / 7) : 3);
  std::this_thread::sleep_for(phase);
  auto baseline_end = steady_clock::now();
  std::mt19937 rng(7);
  struct Phase {
    const char* name;
    std::function<FaultRule(uint64_t)> rule;
  };
  std::vector<Phase> phases = {
      {"latency 400ms", [](uint64_t) { return FaultRule::Forward(milliseconds(400)); }},
      {"50% resets",
       [&rng](uint64_t) { return rng() % 2 ? FaultRule::Reset() : FaultRule::Forward(); }},
      {"stalls past the 2s remote timeout",
       [](uint64_t) { return FaultRule::Stall(milliseconds(3000)); }},
      {"5xx burst", [](uint64_t n) { return FaultRule::Status(n % 3 ? 503 : 500); }},
      {"429 Retry-After: 1", [](uint64_t) { return FaultRule::Status(429, "1"); }},
      {"30% lost answers",
       [&rng](uint64_t) {
         return rng() % 10 < 3 ? FaultRule::LoseResponse() : FaultRule::Forward();
       }},
  };
  LatencyStats base = Stats(load.Latencies(), baseline_end - phase, baseline_end);
  std::printf("phase baseline: %s\n", base.ToString().c_str());
  for (const Phase& p : phases) {
    world.proxy()->SetHandler(p.rule);
    auto start = steady_clock::now();
    std::this_thread::sleep_for(phase);
    LatencyStats s = Stats(load.Latencies(), start, steady_clock::now());
    std::printf("phase %s: %s\n", p.name, s.ToString().c_str());
    EXPECT_LE(s.p50_ms, 2 * base.p50_ms + 20) << p.name;
    EXPECT_LE(s.p99_ms, 3 * base.p99_ms + 100) << p.name;
  }
  world.proxy()->ClearHandler();
  load.Stop();
  for (const auto& [kind, n] : world.proxy()->Counts()) {
    std::printf("proxy %s: %llu\n", kind.c_str(), static_cast<unsigned long long>(n));
  }
  ASSERT_TRUE(world.Drain("proxy", DrainTimeout()));
  AccountingReport r = world.Check("proxy", load.Fates());
  ExpectExact(r);
  EXPECT_EQ(r.dropped_total, 0) << r.Summary();
  EXPECT_GT(world.proxy()->Counts()["lose_response"], 0u);
}

TEST(ReliabilityTest, RemoteMisbehavesBehindFaultProxy) {
  RemoteMisbehaves(1);
}

// Pipelined, failures land in the middle of the window: the batches behind a failed one are sent
// again, and the cursor never passes a batch the remote did not take.
TEST(ReliabilityTest, RemoteMisbehavesBehindFaultProxyWithFourInFlight) {
  RemoteMisbehaves(4);
}

// The queue on a 4 MiB tmpfs that fills up while the remote refuses: the agent keeps answering
// (policy drop), counts every loss, corrupts nothing, and replicates again once space is back.
TEST(ReliabilityTest, QueueDiskFillsUp) {
  testing::TempDir mnt;
  if (::mount("tmpfs", mnt.path().c_str(), "tmpfs", 0, "size=4m") != 0) {
    GTEST_SKIP() << "mount -t tmpfs refused (" << std::strerror(errno)
                 << "): the disk-full scenario needs root or CAP_SYS_ADMIN";
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt.path()};
  WorldOptions wo;
  wo.proxy = true;
  wo.data_dir = mnt.path() + "/data";
  World world(wo);
  WORLD_UP(world);
  world.proxy()->SetDefault(FaultRule::Status(503));
  LoadOptions lo = world.Load("diskfull");
  lo.pad_bytes = 200;
  LoadGenerator load(lo);
  load.Start();
  // Until the agent reports drops (the tmpfs is full), then as long again.
  auto start = steady_clock::now();
  double dropped = 0;
  while (steady_clock::now() - start < seconds(60) && dropped == 0) {
    std::this_thread::sleep_for(milliseconds(500));
    dropped = SumMetric(world.agent().Metrics(), "edgerepl_queue_dropped_points_total");
  }
  std::this_thread::sleep_for(seconds(IsLongForm() ? LongSeconds() : 3));
  load.Stop();
  EXPECT_GT(dropped, 0) << "the 4 MiB disk never filled up";
  EXPECT_TRUE(world.agent().Running())
      << "agent died on a full disk; see " << world.agent().log_path();
  world.proxy()->SetDefault(FaultRule::Forward());
  ASSERT_TRUE(world.Drain("diskfull", seconds(IsLongForm() ? 120 : 60)));
  AccountingReport r = world.Check("diskfull", load.Fates());
  std::printf("accounting: %s\n", r.Summary().c_str());
  const double dropped_total = r.dropped_total;
  EXPECT_TRUE(r.Explained()) << r.Summary();
  EXPECT_EQ(r.dropped.count("corrupt"), 0u) << r.Summary();

  // Space is back: new writes are taken and replicated (no sticky failure), and a restart finds
  // no corrupt record on the disk that was full. The load is paced below what the sender drains,
  // so the 4 MiB disk does not fill again: drop counters restart with the process, and a drop
  // before the restart could not be told from a loss after it (it is read and must be 0).
  LoadOptions after_lo = world.Load("diskfull-after");
  after_lo.writers = 2;
  after_lo.pause = milliseconds(20);
  LoadGenerator after(after_lo);
  after.Start();
  std::this_thread::sleep_for(seconds(2));
  after.Stop();
  const double dropped_before_restart =
      SumMetric(world.agent().Metrics(), "edgerepl_queue_dropped_points_total") - dropped_total;
  std::printf("after the disk-full phase: %.0f points dropped before the restart\n",
              dropped_before_restart);
  EXPECT_EQ(dropped_before_restart, 0);
  world.agent().Stop();
  world.agent().Start();
  ASSERT_TRUE(world.agent().WaitReady(seconds(30)));
  ASSERT_TRUE(world.Drain("diskfull-after", DrainTimeout()));
  AccountingReport r2 = world.Check("diskfull-after", after.Fates());
  ExpectExact(r2);
  EXPECT_EQ(r2.dropped_total, 0) << r2.Summary();
}

// Files damaged between runs: a record in the middle of a segment, the tail of the last segment,
// and the cursor deleted. The agent starts, resends from the oldest segment, and counts what it
// could not read.
TEST(ReliabilityTest, CorruptedSegmentsAndDeletedCursor) {
  WorldOptions wo;
  wo.proxy = true;
  World world(wo);
  WORLD_UP(world);
  world.proxy()->SetDefault(FaultRule::Status(503));
  LoadOptions lo = world.Load("corrupt");
  lo.pad_bytes = 900;
  lo.points_per_request = 200;
  LoadGenerator load(lo);
  load.Start();
  // Enough for two segments, so the middle and the tail damage land in different files.
  auto start = steady_clock::now();
  while (Segments(world.queue_dir()).size() < 2 && steady_clock::now() - start < seconds(90)) {
    std::this_thread::sleep_for(milliseconds(200));
  }
  std::this_thread::sleep_for(seconds(1));
  load.Stop();
  world.agent().Kill9();
  std::vector<fs::path> segs = Segments(world.queue_dir());
  ASSERT_GE(segs.size(), 2u) << "the queue never rolled over to a second segment";
  {
    // Overwrite 64 bytes in the middle of the first segment.
    std::fstream f(segs.front(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(segs.front()) / 2));
    f.write(std::string(64, '\xA5').data(), 64);
  }
  // Flip one byte in the last record of the last segment (bit rot, not a torn write).
  uintmax_t last_size = fs::file_size(segs.back());
  {
    std::fstream f(segs.back(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(last_size - 10));
    f.put('\x00');
  }
  fs::remove(world.queue_dir() + "/cursor");
  world.agent().Start();
  ASSERT_TRUE(world.agent().WaitReady(seconds(60))) << "see " << world.agent().log_path();
  world.proxy()->SetDefault(FaultRule::Forward());
  ASSERT_TRUE(world.Drain("corrupt", DrainTimeout()));
  AccountingReport r = world.Check("corrupt", load.Fates());
  std::printf("accounting: %s\n", r.Summary().c_str());
  EXPECT_TRUE(world.agent().Running());
  EXPECT_GT(r.dropped["corrupt"], 0)
      << "damage in the middle of a segment was not counted; " << r.Summary();
  EXPECT_TRUE(r.Explained()) << "a loss was not counted: " << r.Summary();
}

// A distinctive remote token and admin token never appear in logs, metrics or admin answers,
// even while the remote refuses the token and a bad admin token is tried.
TEST(ReliabilityTest, TokensNeverLeak) {
  const std::string token = "edgerepl-SECRET-remote-9f3b2c7a1d";
  const std::string admin = "edgerepl-SECRET-admin-4e8d0b6c2f";
  WorldOptions wo;
  wo.proxy = true;
  wo.token = token;
  wo.admin_token = admin;
  World world(wo);
  WORLD_UP(world);
  world.proxy()->SetDefault(FaultRule::Status(401));
  LoadGenerator load(world.Load("secrets"));
  load.Start();
  std::this_thread::sleep_for(seconds(3));
  world.proxy()->SetDefault(FaultRule::Forward());
  std::this_thread::sleep_for(seconds(1));
  load.Stop();
  ASSERT_TRUE(world.Drain("secrets", DrainTimeout()));
  // Mutating admin calls with a wrong token and the right one.
  std::string path = std::string("/api/v1/replications/") + kReplicationId + "/retry-now";
  std::vector<std::string> answers;
  for (const std::string& auth : {std::string("Token wrong-") + admin, "Token " + admin}) {
    HttpResult r = HttpCall(world.agent().admin_port(), "POST", path, "", seconds(5),
                            "Authorization: " + auth + "\r\n");
    answers.push_back(r.headers + r.body);
  }
  std::vector<std::pair<std::string, std::string>> places = {
      {"/metrics", world.agent().AdminGet("/metrics")},
      {"/api/v1/replications", world.agent().AdminGet("/api/v1/replications")},
      {"/readyz", world.agent().AdminGet("/readyz")},
      {"/healthz", world.agent().AdminGet("/healthz")},
      {"write port /api/v2/replications",
       HttpCall(world.agent().write_port(), "GET", "/api/v2/replications", "", seconds(5)).body},
      {"admin answers", answers[0] + answers[1]},
  };
  world.agent().Stop();
  places.push_back({"agent log", testing::ReadFileOrDie(world.agent().log_path())});
  for (const auto& [where, text] : places) {
    EXPECT_EQ(text.find(token), std::string::npos) << "remote token in " << where;
    EXPECT_EQ(text.find(admin), std::string::npos) << "admin token in " << where;
  }
  EXPECT_NE(places[1].second.find(kReplicationId), std::string::npos)
      << "the status JSON was not read, so the scan proves nothing";
}

// Agent RSS with 10 replications and a backlog of 100 MB, then 1 GB (remote unreachable): under
// 64 MiB and not growing with the backlog. Long form only (scripts/reliability.sh memory): it
// writes ~100 MB of line protocol and needs a build without sanitizers to mean anything.
TEST(ReliabilityTest, MemoryDoesNotGrowWithBacklog) {
  if (EnvInt("EDGEREPL_RELIABILITY_MEMORY", 0) == 0) {
    GTEST_SKIP() << "long form only: scripts/reliability.sh <seconds> memory";
  }
  WorldOptions wo;
  wo.replications = 10;
  wo.remote_url = "http://127.0.0.1:" + std::to_string(testing::PickFreePort());  // nobody there
  World world(wo);
  std::string why;
  if (!testing::Influxd::Available() || !FindAgentBinary())
    GTEST_SKIP() << "agent or influxd missing";
  // Queues big enough for the backlog: 10 x 200 MB.
  ASSERT_TRUE(world.Up(&why)) << why;
  config::Config c = world.agent().config();
  for (auto& r : c.replications) r.max_queue_size_bytes = 200ull << 20;
  world.agent().Stop();
  world.agent().SetConfig(c);
  world.agent().Start();
  ASSERT_TRUE(world.agent().WaitReady(seconds(30)));

  LoadOptions lo = world.Load("memory");
  lo.pad_bytes = 1000;
  lo.points_per_request = 500;
  lo.writers = 2;
  LoadGenerator load(lo);
  auto backlog = [&] { return SumMetric(world.agent().Metrics(), "edgerepl_queue_bytes"); };
  auto measure_at = [&](double bytes, const char* label) {
    auto start = steady_clock::now();
    while (backlog() < bytes && steady_clock::now() - start < seconds(1800)) {
      std::this_thread::sleep_for(milliseconds(500));
    }
    EXPECT_GE(backlog(), bytes) << "backlog did not reach " << label;
    long rss = world.agent().RssKiB();
    long hwm = world.agent().RssKiB("VmHWM");
    std::printf("memory: backlog %s (%.0f bytes in %d queues): RSS %ld KiB, peak %ld KiB\n", label,
                backlog(), 10, rss, hwm);
    return rss;
  };
  load.Start();
  long at_100mb = measure_at(100e6, "100 MB");
  long at_1gb = measure_at(1e9, "1 GB");
  load.Stop();
  long hwm = world.agent().RssKiB("VmHWM");
  EXPECT_LT(at_100mb, 64 * 1024);
  EXPECT_LT(at_1gb, 64 * 1024);
  EXPECT_LT(hwm, 64 * 1024);
  // "Does not grow with the backlog": ten times the backlog, at most 8 MiB more.
  EXPECT_LT(at_1gb - at_100mb, 8 * 1024);
}

}  // namespace
}  // namespace edgerepl::reliability
