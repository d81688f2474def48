// Crash test with real processes: a child appends from several threads and consumes, reporting
// what the queue acknowledged through a pipe; the parent SIGKILLs it at random moments, reopens
// the queue and checks that every acknowledged record is present, intact and in order, that no
// record is duplicated, and that nothing whose acknowledgement was reported comes back.
// EDGEREPL_QUEUE_CRASH_SECONDS=<n> turns the 50-cycle form into a soak (scripts/queue-soak.sh).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "agent/queue/queue.h"
#include "common/clock.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::queue {
namespace {

using Id = std::pair<int, uint64_t>;  // thread, sequence

struct ChildRun {
  std::set<Id> appended;  // Append returned OK
  std::set<Id> acking;    // Ack covering it was called (it may or may not have completed)
  std::set<Id> consumed;  // Ack covering it returned OK
  bool exited_early = false;
  std::string exit_note;
};

// Starts the child, lets it run for `run`, SIGKILLs it and collects every reported line.
ChildRun RunAndKill(const std::vector<std::string>& args, std::chrono::milliseconds run) {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string data;
  char buf[65536];
  auto deadline = std::chrono::steady_clock::now() + run;
  bool killed = false;
  for (;;) {
    int wait_ms = 50;
    if (!killed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) {
        ::kill(pid, SIGKILL);
        killed = true;
      } else {
        wait_ms = static_cast<int>(std::min<int64_t>(left, 50));
      }
    }
    struct pollfd p = {fds[0], POLLIN, 0};
    int rc = ::poll(&p, 1, wait_ms);
    if (rc > 0) {
      ssize_t n = ::read(fds[0], buf, sizeof(buf));
      if (n > 0) {
        data.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) break;  // every writer is gone
    }
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ChildRun out;
  if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
    out.exited_early = true;
    out.exit_note = "child status " + std::to_string(status);
  }
  std::istringstream in(data);
  std::string line;
  while (std::getline(in, line)) {
    char kind;
    int t;
    uint64_t s;
    std::istringstream ls(line);
    if (!(ls >> kind >> t >> s)) continue;  // a line cut by the kill is never a report
    if (kind == 'A') out.appended.insert({t, s});
    if (kind == 'P') out.acking.insert({t, s});
    if (kind == 'C') out.consumed.insert({t, s});
  }
  return out;
}

Id ParseId(const std::string& payload) {
  size_t t = payload.find("t=") + 2;
  size_t s = payload.find("seq=") + 4;
  return {std::stoi(payload.substr(t)), std::stoull(payload.substr(s))};
}

bool Intact(const std::string& payload, uint64_t seq) {
  // The pad is one letter repeated; the record CRC already guards it, this checks the framing.
  size_t sp = payload.find(' ', payload.find("seq="));
  std::string pad = payload.substr(sp + 1, payload.size() - sp - 2);
  for (char c : pad) {
    if (c != static_cast<char>('a' + seq % 26)) return false;
  }
  return payload.back() == '\n';
}

TEST(QueueCrashTest, AcknowledgedRecordsSurviveSigkill) {
  edgerepl::testing::TempDir dir;
  const std::string qdir = dir.Join("q");
  const char* soak = std::getenv("EDGEREPL_QUEUE_CRASH_SECONDS");
  const int soak_seconds = soak != nullptr ? std::atoi(soak) : 0;
  const auto soak_end = std::chrono::steady_clock::now() + std::chrono::seconds(soak_seconds);
  std::mt19937_64 rng(std::random_device{}());
  const uint64_t seed = rng();
  std::cout << "seed " << seed << "\n";
  rng.seed(seed);

  std::set<Id> must_have;  // acknowledged or already recovered once, and not consumed
  std::set<Id> consumed;
  uint64_t total_appended = 0, total_consumed = 0;
  int cycles = 0;
  for (;; ++cycles) {
    if (soak_seconds > 0 ? std::chrono::steady_clock::now() >= soak_end : cycles >= 50) break;
    SCOPED_TRACE("cycle " + std::to_string(cycles));
    int threads = 1 + static_cast<int>(rng() % 8);
    auto run = std::chrono::milliseconds(5 + rng() % 300);
    std::string mode = rng() % 3 == 0 ? "interval" : "sync";
    ChildRun r = RunAndKill({QUEUE_CRASH_CHILD, qdir, std::to_string(threads),
                             std::to_string(cycles * 100), mode, std::to_string(rng())},
                            run);
    ASSERT_FALSE(r.exited_early) << r.exit_note;
    total_appended += r.appended.size();
    total_consumed += r.consumed.size();
    for (const Id& id : r.consumed) {
      consumed.insert(id);
      must_have.erase(id);
    }
    for (const Id& id : r.appended) {
      if (!consumed.count(id)) must_have.insert(id);
    }

    QueueOptions o;
    o.dir = qdir;
    o.segment_bytes = 64 << 10;
    o.max_bytes = 1ull << 30;
    auto q = Queue::Open(o, PosixFileSystem(), RealClock::Instance(), nullptr);
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    std::set<Id> present;
    std::map<int, uint64_t> last_seq;
    for (;;) {
      auto batch = (*q)->ReadNext(1 << 20);
      ASSERT_TRUE(batch.ok()) << batch.status().ToString();
      if (batch->empty()) break;
      for (const Record& rec : *batch) {
        Id id = ParseId(rec.payload);
        ASSERT_TRUE(Intact(rec.payload, id.second)) << rec.payload.substr(0, 60);
        ASSERT_TRUE(present.insert(id).second)
            << "duplicate t=" << id.first << " seq=" << id.second;
        ASSERT_FALSE(consumed.count(id))
            << "acknowledged-consumed record came back: t=" << id.first << " seq=" << id.second;
        auto it = last_seq.find(id.first);
        if (it != last_seq.end()) {
          ASSERT_GT(id.second, it->second) << "out of order in thread " << id.first;
        }
        last_seq[id.first] = id.second;
      }
    }
    for (const Id& id : must_have) {
      if (present.count(id)) continue;
      // Killed between a durable Ack and its report: consumed, so it may never come back.
      if (r.acking.count(id)) {
        consumed.insert(id);
        continue;
      }
      ADD_FAILURE() << "lost acknowledged t=" << id.first << " seq=" << id.second;
      return;
    }
    for (const Id& id : r.acking) {
      if (!present.count(id)) consumed.insert(id);
    }
    EXPECT_EQ((*q)->Stats().dropped.count("corrupt"), 0u);
    // Records recovered once stay until consumed, acknowledged or not.
    must_have = present;
  }
  std::cout << cycles << " cycles, " << total_appended << " appends and " << total_consumed
            << " consumptions acknowledged\n";
  EXPECT_GE(cycles, 50);
  EXPECT_GT(total_appended, 0u);
  EXPECT_GT(total_consumed, 0u);
}

}  // namespace
}  // namespace edgerepl::queue
