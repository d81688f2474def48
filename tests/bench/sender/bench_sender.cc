// Sender benchmarks.
//   bench_sender gzip                          gzip levels (libdeflate vs zlib) on a 500 KB batch
//   bench_sender drain --url U --bytes N --queue-dir D [--max-in-flight K] [--fixed-window 1]
//       fill a durable queue in D with an N-byte backlog (untimed), reopen it, then time the
//       sender draining it through QueueSource until the last record is acknowledged; points/s.
//       The sender is set up as the agent sets it up (adaptive window up to K, cursor stored at
//       most every kDefaultCursorInterval); --fixed-window 1 keeps K requests out from the start.
//   bench_sender emit --bytes N --out FILE     write the same backlog as line protocol to FILE
// The backlog is deterministic, so scripts/bench-drain.sh can give vmagent the identical data.
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "agent/queue/queue.h"
#include "agent/queue/queue_source.h"
#include "agent/sender/sender.h"
#include "common/codec/gzip.h"
#include "common/http/client_beast.h"
#include "common/http/client_cpprest.h"

namespace edgerepl::sender {
namespace {

constexpr int kSeries = 1000;
constexpr int kLinesPerRecord = 50;  // a typical Telegraf flush per replication write

// Calls `record` with each record (kLinesPerRecord lines) until `bytes` were produced.
template <typename F>
uint64_t Generate(uint64_t bytes, F&& record) {
  int64_t base_ms = RealClock::Instance().WallNowNanos() / 1'000'000 - 3'600'000;
  uint64_t produced = 0, points = 0;
  std::string r;
  char line[256];
  while (produced < bytes) {
    r.clear();
    for (int n = 0; n < kLinesPerRecord; ++n, ++points) {
      int k = static_cast<int>(points % kSeries);
      int64_t t = base_ms + static_cast<int64_t>(points / kSeries);
      int len = std::snprintf(line, sizeof(line),
                              "cpu,host=edge-%04d,region=r%d usage_user=%.2f,usage_system=%.2f,"
                              "procs=%lldi %lld000000\n",
                              k, k % 4, (points % 10000) / 100.0, (points % 777) / 10.0,
                              static_cast<long long>(points % 500), static_cast<long long>(t));
      r.append(line, static_cast<size_t>(len));
    }
    produced += r.size();
    record(r);
  }
  return points;
}

std::string Arg(int argc, char** argv, const char* name, const char* def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return def;
}

// User + system CPU seconds of this process so far, all threads.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int Gzip() {
  std::string batch;
  Generate(500000, [&](const std::string& r) { batch += r; });
  constexpr int kRounds = 40;
  for (int level : {1, 3, 6, 9}) {
    auto start = std::chrono::steady_clock::now();
    size_t out = 0;
    for (int i = 0; i < kRounds; ++i) out = codec::GzipCompress(batch, level)->size();
    double s = Seconds(start);
    std::printf("libdeflate level %d: %.0f MB/s, ratio %.1fx\n", level,
                kRounds * batch.size() / s / 1e6, double(batch.size()) / out);
  }
  for (int level : {1, 6}) {
    auto start = std::chrono::steady_clock::now();
    size_t out = 0;
    for (int i = 0; i < kRounds; ++i) {
      uLongf n = compressBound(batch.size());
      std::string buf(n, '\0');
      z_stream zs{};
      deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
      zs.next_in = reinterpret_cast<Bytef*>(batch.data());
      zs.avail_in = static_cast<uInt>(batch.size());
      zs.next_out = reinterpret_cast<Bytef*>(buf.data());
      zs.avail_out = static_cast<uInt>(buf.size());
      deflate(&zs, Z_FINISH);
      out = zs.total_out;
      deflateEnd(&zs);
    }
    double s = Seconds(start);
    std::printf("zlib       level %d: %.0f MB/s, ratio %.1fx\n", level,
                kRounds * batch.size() / s / 1e6, double(batch.size()) / out);
  }
  return 0;
}

int Emit(uint64_t bytes, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  uint64_t points = Generate(bytes, [&](const std::string& r) { out << r; });
  std::printf("points=%llu\n", static_cast<unsigned long long>(points));
  return out.good() ? 0 : 1;
}

// The queue as the sender sees it, timing the two calls into it: reading records, and storing the
// cursor (two fsyncs). With one request in flight both happen between requests; pipelined, the
// cursor is stored while the requests go on.
class TimedSource : public RecordSource {
 public:
  explicit TimedSource(RecordSource& inner) : inner_(inner) {}
  Result<std::vector<SourceRecord>> ReadNext(size_t max_bytes) override {
    auto start = std::chrono::steady_clock::now();
    auto r = inner_.ReadNext(max_bytes);
    read_s += Seconds(start);
    return r;
  }
  Status Ack(uint64_t position) override {
    auto start = std::chrono::steady_clock::now();
    Status st = inner_.Ack(position);
    ack_s += Seconds(start);
    ++acks;
    return st;
  }
  void ReportDropped(uint64_t points, uint64_t bytes, std::string_view reason) override {
    inner_.ReportDropped(points, bytes, reason);
  }
  bool Full() const override { return inner_.Full(); }

  // Each written by one thread at a time (reads by the sender thread; acks by it or, pipelined,
  // by its acknowledging thread while it waits); read after the sender stopped.
  double read_s = 0, ack_s = 0;
  uint64_t acks = 0;  // cursor stores

 private:
  RecordSource& inner_;
};

queue::QueueOptions BacklogQueueOptions(const std::string& dir, uint64_t bytes) {
  queue::QueueOptions q;
  q.dir = dir;
  q.max_bytes = bytes * 2 + (64 << 20);  // the whole backlog plus headers fits
  q.max_age_seconds = 0;
  // The fill is not what is measured: interval durability keeps it from costing one fdatasync per
  // record (a real agent's writers are concurrent and share syncs instead).
  q.durability = config::Durability::kInterval;
  return q;
}

int Drain(uint64_t bytes, const std::string& url, const std::string& dir, int gzip_level,
          int in_flight, bool fixed_window, const std::string& client_kind) {
  queue::QueueOptions qo = BacklogQueueOptions(dir, bytes);
  uint64_t points = 0;
  {
    auto q = queue::Queue::Open(qo, queue::PosixFileSystem(), RealClock::Instance(), nullptr);
    if (!q.ok()) {
      std::fprintf(stderr, "open queue: %s\n", q.status().ToString().c_str());
      return 1;
    }
    Status failed = Status::Ok();
    points = Generate(bytes, [&](const std::string& r) {
      if (!failed.ok()) return;
      failed = (*q)->Append(r, kLinesPerRecord);
    });
    if (!failed.ok()) {
      std::fprintf(stderr, "fill queue: %s\n", failed.ToString().c_str());
      return 1;
    }
    if (Status st = (*q)->Close(); !st.ok()) {
      std::fprintf(stderr, "close queue: %s\n", st.ToString().c_str());
      return 1;
    }
  }
  // Reopened as the agent finds it after a restart with a backlog: recovery is not timed.
  auto q = queue::Queue::Open(qo, queue::PosixFileSystem(), RealClock::Instance(), nullptr);
  if (!q.ok()) {
    std::fprintf(stderr, "reopen queue: %s\n", q.status().ToString().c_str());
    return 1;
  }
  uint64_t records = (*q)->Stats().pending_records;
  queue::QueueSource queue_source(**q);
  TimedSource source(queue_source);
  http::HttpClientOptions o;
  o.base_url = url;
  auto client = client_kind == "cpprest" ? http::MakeCpprestHttpClient(o) : http::MakeHttpClient(o);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 1;
  }
  prometheus::Registry registry;
  SenderOptions options;
  options.replication_name = "bench";
  options.org_id = "org";
  options.bucket = "bench";
  options.gzip_level = gzip_level;
  options.max_in_flight = in_flight;
  options.adapt_in_flight = !fixed_window;
  options.cursor_interval = kDefaultCursorInterval;  // as the agent
  options.linger = kDefaultBatchLinger;  // as the agent; a backlog fills every batch anyway
  SenderMetrics metrics(registry, "bench");
  RealRandom random;
  Sender sender(options, **client, source, RealClock::Instance(), random, metrics);
  // A profiler attached on this line sees only the drain (scripts: `perf record -p`).
  std::fprintf(stderr, "draining pid=%d\n", static_cast<int>(getpid()));
  if (const char* pause = std::getenv("BENCH_DRAIN_PAUSE_MS")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(pause)));
  }
  double cpu_start = CpuSeconds();
  auto start = std::chrono::steady_clock::now();
  sender.Start();
  while ((*q)->Stats().pending_records > 0) {
    // Polled, not waited for: the sleeps and Stats() calls count in sender_cpu_s, so not too often.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  double s = Seconds(start);
  double cpu = CpuSeconds() - cpu_start;
  sender.Stop();
  // Request time summed over all requests, divided by the drain's wall time: how many requests the
  // remote had on average. Below max_in_flight, the sender (not the remote) left slots empty.
  double request_s = 0, requests = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != "edgerepl_remote_request_duration_seconds") continue;
    for (const auto& m : family.metric) {
      request_s += m.histogram.sample_sum;
      requests += static_cast<double>(m.histogram.sample_count);
    }
  }
  std::printf(
      "points=%llu bytes=%llu records=%llu seconds=%.3f points_per_s=%.0f sender_cpu_s=%.2f "
      "failures=%llu requests=%.0f mean_request_ms=%.2f mean_in_flight=%.2f read_s=%.2f "
      "ack_s=%.2f acks=%llu\n",
      static_cast<unsigned long long>(points), static_cast<unsigned long long>(bytes),
      static_cast<unsigned long long>(records), s, points / s, cpu,
      static_cast<unsigned long long>(sender.Snapshot().consecutive_failures), requests,
      requests > 0 ? request_s / requests * 1000 : 0, request_s / s, source.read_s, source.ack_s,
      static_cast<unsigned long long>(source.acks));
  return 0;
}

}  // namespace
}  // namespace edgerepl::sender

int main(int argc, char** argv) {
  using namespace edgerepl::sender;
  std::string mode = argc > 1 ? argv[1] : "";
  uint64_t bytes = std::stoull(Arg(argc, argv, "--bytes", "20000000"));
  if (mode == "gzip") return Gzip();
  if (mode == "emit") return Emit(bytes, Arg(argc, argv, "--out", "backlog.lp"));
  if (mode == "drain") {
    std::string dir = Arg(argc, argv, "--queue-dir", "");
    if (dir.empty()) {
      std::fprintf(stderr, "drain needs --queue-dir (a fresh directory for the backlog queue)\n");
      return 2;
    }
    return Drain(bytes, Arg(argc, argv, "--url", "http://127.0.0.1:8428"), dir,
                 std::stoi(Arg(argc, argv, "--gzip-level", "1")),
                 std::stoi(Arg(argc, argv, "--max-in-flight", "1")),
                 Arg(argc, argv, "--fixed-window", "0") == "1",
                 Arg(argc, argv, "--client", "auto"));
  }
  std::fprintf(stderr,
               "usage: bench_sender gzip | drain --url U --bytes N --queue-dir D | emit --bytes N "
               "--out F\n");
  return 2;
}
