// The process the crash test kills: appends from several threads and consumes from one, and
// reports through stdout (a pipe) exactly what the queue acknowledged:
//   "A <thread> <seq>"  after Append returned OK for that record
//   "P <thread> <seq>"  before Ack is called for a position covering that record
//   "C <thread> <seq>"  after that Ack returned OK
// Usage: queue_crash_child <dir> <threads> <first thread id> <sync|interval> <seed>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "agent/queue/queue.h"

using namespace edgerepl;         // NOLINT
using namespace edgerepl::queue;  // NOLINT

namespace {

std::mutex out_mu;

void Report(char kind, const std::string& id) {
  std::string line = std::string(1, kind) + " " + id + "\n";
  std::lock_guard<std::mutex> lock(out_mu);
  // One write per line; a line is far below PIPE_BUF, so the parent never sees half of one.
  if (::write(1, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::_Exit(3);
}

// "crash,t=<thread> seq=<seq>i <pad>\n" -> "<thread> <seq>"
std::string IdOf(const std::string& payload) {
  size_t t = payload.find("t=") + 2;
  size_t sp = payload.find(' ', t);
  size_t s = payload.find("seq=", sp) + 4;
  size_t i = payload.find('i', s);
  return payload.substr(t, sp - t) + " " + payload.substr(s, i - s);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s dir threads first_thread sync|interval seed\n", argv[0]);
    return 2;
  }
  QueueOptions o;
  o.dir = argv[1];
  int threads = std::atoi(argv[2]);
  int first_thread = std::atoi(argv[3]);
  o.durability = std::string(argv[4]) == "interval" ? config::Durability::kInterval
                                                    : config::Durability::kSync;
  o.sync_interval = std::chrono::milliseconds(5);
  o.segment_bytes = 64 << 10;
  o.max_bytes = 1ull << 30;
  uint64_t seed = std::strtoull(argv[5], nullptr, 10);
  auto q = Queue::Open(o, PosixFileSystem(), RealClock::Instance(), nullptr);
  if (!q.ok()) {
    std::fprintf(stderr, "open: %s\n", q.status().ToString().c_str());
    return 1;
  }
  Queue& queue = **q;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(seed * 1000 + static_cast<uint64_t>(t));
      std::string tid = std::to_string(first_thread + t);
      for (uint64_t seq = 0;; ++seq) {
        std::string payload = "crash,t=" + tid + " seq=" + std::to_string(seq) + "i " +
                              std::string(rng() % 3000, static_cast<char>('a' + seq % 26)) + "\n";
        Status st = queue.Append(payload, 1);
        if (!st.ok()) {
          std::fprintf(stderr, "append: %s\n", st.ToString().c_str());
          std::_Exit(1);
        }
        Report('A', tid + " " + std::to_string(seq));
      }
    });
  }
  std::mt19937_64 rng(seed);
  for (;;) {
    auto r = queue.ReadNext(1 + rng() % 20000);
    if (!r.ok()) {
      std::fprintf(stderr, "read: %s\n", r.status().ToString().c_str());
      return 1;
    }
    if (r->empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    if (rng() % 5 == 0) {
      queue.RewindToCursor();  // a failed remote batch: read again from the cursor
      continue;
    }
    size_t upto = rng() % r->size();
    for (size_t i = 0; i <= upto; ++i) Report('P', IdOf((*r)[i].payload));
    Status st = queue.Ack((*r)[upto].position);
    if (!st.ok()) {
      std::fprintf(stderr, "ack: %s\n", st.ToString().c_str());
      return 1;
    }
    for (size_t i = 0; i <= upto; ++i) Report('C', IdOf((*r)[i].payload));
    if (upto + 1 < r->size()) queue.RewindToCursor();
  }
}
