// Append throughput of the durable queue under durability: sync, against a plain loop writing the
// same bytes to a file on the same disk with one fdatasync per 500 kB, measured in the same run,
// case by case. Prints one line per (writers, record size) with the ratio and the p99 latency.
//
// A second loop syncs once per (writers x record size) bytes: no durable append can be answered
// before a sync covering it, so that is the most a group can hold, and the "vs bound" ratio says
// how close group commit comes to it.
//   bench_queue [--dir DIR] [--seconds S] [--writers 1,8,64] [--sizes 1024,8192,65536]
//               [--segment-bytes N]
//   bench_queue --fsync-probe 1 [--dir DIR] [--sizes ...]
//       what one write + fdatasync costs when it appends to a file (what the queue and both loops
//       do) and when it overwrites blocks written and synced before (a pre-zeroed or recycled
//       segment, which the queue does not have): how much of a sync is the file's metadata.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/queue/queue.h"

using namespace edgerepl;         // NOLINT
using namespace edgerepl::queue;  // NOLINT
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr uint64_t kBaselineSyncBytes = 500000;

std::vector<size_t> ParseList(const std::string& s) {
  std::vector<size_t> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoul(item));
  return out;
}

struct QueueResult {
  uint64_t records = 0;
  double seconds = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t fsyncs = 0;
};

QueueResult RunQueue(const std::string& dir, size_t writers, size_t size, double seconds,
                     uint64_t segment_bytes) {
  QueueOptions o;
  o.dir = dir;
  o.segment_bytes = segment_bytes;
  o.max_bytes = 1ull << 40;
  o.max_age_seconds = 0;
  o.durability = config::Durability::kSync;
  auto q = Queue::Open(o, PosixFileSystem(), RealClock::Instance(), nullptr);
  if (!q.ok()) {
    std::fprintf(stderr, "open: %s\n", q.status().ToString().c_str());
    std::exit(1);
  }
  std::string payload(size - 1, 'x');
  payload.push_back('\n');
  std::vector<std::vector<double>> latencies(writers);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  auto start = SteadyClock::now();
  for (size_t w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      while (!stop.load(std::memory_order_relaxed)) {
        auto t0 = SteadyClock::now();
        Status st = (*q)->Append(payload, 1);
        if (!st.ok()) {
          std::fprintf(stderr, "append: %s\n", st.ToString().c_str());
          std::exit(1);
        }
        latencies[w].push_back(
            std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  QueueResult r;
  r.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  r.records = all.size();
  r.p50_ms = all[all.size() / 2];
  r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  (void)(*q)->Close();
  std::filesystem::remove_all(dir);
  return r;
}

// The same bytes, one write per record, one fdatasync per `sync_bytes` and one at the end.
double RunBaseline(const std::string& path, size_t size, uint64_t records, uint64_t sync_bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) std::exit(1);
  std::string payload(size - 1, 'x');
  payload.push_back('\n');
  auto start = SteadyClock::now();
  uint64_t unsynced = 0;
  for (uint64_t i = 0; i < records; ++i) {
    if (::write(fd, payload.data(), payload.size()) != static_cast<ssize_t>(payload.size())) {
      std::exit(1);
    }
    unsynced += payload.size();
    if (unsynced >= sync_bytes) {
      ::fdatasync(fd);
      unsynced = 0;
    }
  }
  ::fdatasync(fd);
  double s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  ::close(fd);
  ::unlink(path.c_str());
  return s;
}

// Per size: `n` writes of `size` bytes, each followed by fdatasync, into a fresh file (append),
// then over the same range of a file first filled with zeros and synced (overwrite). Prints the
// mean fdatasync time and MB/s of each, and their ratio.
void ProbeFsync(const std::string& dir, const std::vector<size_t>& sizes) {
  std::printf("%-8s %16s %16s %18s %18s %9s\n", "record", "append sync us", "append MB/s",
              "overwrite sync us", "overwrite MB/s", "speed-up");
  const std::string path = dir + "/probe";
  for (size_t size : sizes) {
    const size_t n = std::clamp<size_t>((size_t{200} << 20) / size, 1, 3000);
    std::string buf(size, 'x');
    double result[2][2];  // [append, overwrite][sync us, MB/s]
    for (int overwrite = 0; overwrite < 2; ++overwrite) {
      ::unlink(path.c_str());
      int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0644);
      if (fd < 0) {
        std::perror("open");
        std::exit(1);
      }
      if (overwrite == 1) {
        std::string zeros(1 << 20, '\0');
        for (size_t off = 0; off < n * size; off += zeros.size()) {
          if (::pwrite(fd, zeros.data(), zeros.size(), static_cast<off_t>(off)) < 0) std::exit(1);
        }
        ::fsync(fd);
      }
      double sync_s = 0;
      auto t0 = SteadyClock::now();
      for (size_t i = 0; i < n; ++i) {
        if (::pwrite(fd, buf.data(), size, static_cast<off_t>(i * size)) !=
            static_cast<ssize_t>(size)) {
          std::exit(1);
        }
        auto s0 = SteadyClock::now();
        ::fdatasync(fd);
        sync_s += std::chrono::duration<double>(SteadyClock::now() - s0).count();
      }
      double all = std::chrono::duration<double>(SteadyClock::now() - t0).count();
      ::close(fd);
      result[overwrite][0] = sync_s / static_cast<double>(n) * 1e6;
      result[overwrite][1] = static_cast<double>(n * size) / all / 1e6;
    }
    ::unlink(path.c_str());
    std::printf("%-8zu %16.1f %16.1f %18.1f %18.1f %8.2fx\n", size, result[0][0], result[0][1],
                result[1][0], result[1][1], result[1][1] / result[0][1]);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = std::filesystem::current_path().string() + "/bench-queue-tmp";
  double seconds = 2;
  std::vector<size_t> writers = {1, 8, 64};
  std::vector<size_t> sizes = {1024, 8192, 65536};
  uint64_t segment_bytes = kDefaultSegmentBytes;
  bool probe = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--dir")
      dir = argv[i + 1];
    else if (a == "--seconds")
      seconds = std::stod(argv[i + 1]);
    else if (a == "--writers")
      writers = ParseList(argv[i + 1]);
    else if (a == "--sizes")
      sizes = ParseList(argv[i + 1]);
    else if (a == "--segment-bytes")
      segment_bytes = std::stoull(argv[i + 1]);
    else if (a == "--fsync-probe")
      probe = std::string(argv[i + 1]) != "0";
  }
  std::filesystem::create_directories(dir);
  if (probe) {
    ProbeFsync(dir, sizes);
    std::filesystem::remove_all(dir);
    return 0;
  }
  std::printf("%-8s %-8s %11s %11s %8s %11s %9s %9s %9s\n", "writers", "record", "queue MB/s",
              "file MB/s", "ratio", "bound MB/s", "vs bound", "p50 ms", "p99 ms");
  for (size_t w : writers) {
    for (size_t size : sizes) {
      QueueResult q = RunQueue(dir + "/q", w, size, seconds, segment_bytes);
      double base = RunBaseline(dir + "/baseline", size, q.records, kBaselineSyncBytes);
      double bound = RunBaseline(dir + "/bound", size, q.records, w * size);
      double bytes = static_cast<double>(q.records) * static_cast<double>(size);
      double q_mbs = bytes / q.seconds / 1e6;
      double b_mbs = bytes / base / 1e6;
      double bound_mbs = bytes / bound / 1e6;
      std::printf("%-8zu %-8zu %11.1f %11.1f %7.2fx %11.1f %8.2fx %9.2f %9.2f\n", w, size, q_mbs,
                  b_mbs, q_mbs / b_mbs, bound_mbs, q_mbs / bound_mbs, q.p50_ms, q.p99_ms);
      std::fflush(stdout);
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
