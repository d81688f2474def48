// Throughput of the write path's line-protocol work on a realistic body: what Telegraf's cpu,
// mem, disk, diskio, net and system inputs send (many tags and fields, ns timestamps), generated
// here so the run needs no files. The floor is a memchr scan for newlines over the same bytes:
// no parser can be faster than finding its lines. After the runs, prints MB/s of each and the
// ratio of validate+normalize to the floor.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>

#include "agent/lineprotocol/measurement.h"
#include "agent/lineprotocol/normalize.h"
#include "agent/lineprotocol/split.h"

namespace edgerepl::lp {
namespace {

constexpr size_t kBodyBytes = 8 << 20;

std::string Float(std::mt19937_64& rng, double scale) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g", std::uniform_real_distribution<double>(0, scale)(rng));
  return buf;
}
std::string Int(std::mt19937_64& rng, uint64_t max) {
  return std::to_string(rng() % max) + "i";
}

// One scrape of a host: the lines Telegraf's default inputs produce, sharing one timestamp.
void AppendScrape(std::mt19937_64& rng, int host, int64_t ts, std::string* out) {
  const std::string t = " " + std::to_string(ts) + "\n";
  const std::string h = "host=edge-" + std::to_string(host);
  for (int cpu = 0; cpu < 4; ++cpu) {
    *out += "cpu,cpu=cpu" + std::to_string(cpu) + "," + h + " usage_guest=0,usage_guest_nice=0," +
            "usage_idle=" + Float(rng, 100) + ",usage_iowait=" + Float(rng, 5) +
            ",usage_irq=0,usage_nice=0,usage_softirq=" + Float(rng, 1) +
            ",usage_steal=0,usage_system=" + Float(rng, 20) + ",usage_user=" + Float(rng, 80) + t;
  }
  *out += "mem," + h + " active=" + Int(rng, 1ull << 33) + ",available=" + Int(rng, 1ull << 33) +
          ",available_percent=" + Float(rng, 100) + ",buffered=" + Int(rng, 1ull << 30) +
          ",cached=" + Int(rng, 1ull << 32) + ",free=" + Int(rng, 1ull << 32) +
          ",inactive=" + Int(rng, 1ull << 32) + ",total=8254185472i,used=" + Int(rng, 1ull << 33) +
          ",used_percent=" + Float(rng, 100) + t;
  for (const char* dev : {"sda1", "sdb1"}) {
    *out += std::string("disk,device=") + dev + ",fstype=ext4," + h + ",mode=rw,path=/var/lib/" +
            dev + " free=" + Int(rng, 1ull << 40) + ",inodes_free=" + Int(rng, 1ull << 24) +
            ",inodes_total=16777216i,inodes_used=" + Int(rng, 1ull << 20) +
            ",total=1099511627776i,used=" + Int(rng, 1ull << 40) +
            ",used_percent=" + Float(rng, 100) + t;
    *out += std::string("diskio,") + h + ",name=" + dev + " io_time=" + Int(rng, 1ull << 30) +
            ",iops_in_progress=0i,merged_reads=" + Int(rng, 1 << 20) +
            ",merged_writes=" + Int(rng, 1 << 20) + ",read_bytes=" + Int(rng, 1ull << 40) +
            ",read_time=" + Int(rng, 1 << 30) + ",reads=" + Int(rng, 1 << 30) +
            ",weighted_io_time=" + Int(rng, 1ull << 31) + ",write_bytes=" + Int(rng, 1ull << 40) +
            ",write_time=" + Int(rng, 1 << 30) + ",writes=" + Int(rng, 1 << 30) + t;
  }
  *out += "net," + h + ",interface=eth0 bytes_recv=" + Int(rng, 1ull << 40) +
          ",bytes_sent=" + Int(rng, 1ull << 40) + ",drop_in=0i,drop_out=0i,err_in=0i,err_out=0i," +
          "packets_recv=" + Int(rng, 1ull << 32) + ",packets_sent=" + Int(rng, 1ull << 32) + t;
  *out += "system," + h + " load1=" + Float(rng, 4) + ",load15=" + Float(rng, 4) +
          ",load5=" + Float(rng, 4) + ",n_cpus=4i,n_users=" + Int(rng, 5) + t;
  *out += "system," + h + " uptime=" + Int(rng, 1 << 24) + ",uptime_format=\"" +
          std::to_string(rng() % 30) + " days,  2:03\"" + t;
}

const std::string& TelegrafBody() {
  static const std::string* body = [] {
    auto* s = new std::string;
    s->reserve(kBodyBytes + 4096);
    std::mt19937_64 rng(42);
    int64_t ts = 1'700'000'000'000'000'000;
    for (int scrape = 0; s->size() < kBodyBytes; ++scrape) {
      AppendScrape(rng, scrape % 50, ts, s);
      if (scrape % 50 == 49) ts += 10'000'000'000;
    }
    return s;
  }();
  return *body;
}

// The same points with second timestamps, as a client writing precision=s sends them.
const std::string& TelegrafBodySeconds() {
  static const std::string* body = [] {
    auto* s = new std::string;
    const std::string& ns = TelegrafBody();
    for (size_t pos = 0; pos < ns.size();) {
      const size_t nl = ns.find('\n', pos);
      s->append(ns, pos, nl - pos - 9);
      s->push_back('\n');
      pos = nl + 1;
    }
    return s;
  }();
  return *body;
}

void BM_FloorMemchrNewlines(benchmark::State& state) {
  const std::string& body = TelegrafBody();
  for (auto _ : state) {
    size_t lines = 0;
    const char* p = body.data();
    const char* end = p + body.size();
    while ((p = static_cast<const char*>(std::memchr(p, '\n', end - p))) != nullptr) {
      ++lines;
      ++p;
    }
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_FloorMemchrNewlines);

void RunNormalize(benchmark::State& state, const std::string& body, NormalizeOptions options) {
  std::string out;
  uint64_t points = 0;
  for (auto _ : state) {
    out.clear();
    auto r = Normalize(body, options, &out);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    points += r.ok() ? r->points : 0;
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["points/s"] =
      benchmark::Counter(static_cast<double>(points), benchmark::Counter::kIsRate);
}

void BM_ValidateNormalize(benchmark::State& state) {
  NormalizeOptions o;
  o.now_ns = 1'700'000'000'000'000'000;
  RunNormalize(state, TelegrafBody(), o);
}
BENCHMARK(BM_ValidateNormalize);

void BM_ValidateNormalizeSecondsPrecision(benchmark::State& state) {
  NormalizeOptions o;
  o.precision = Precision::kSeconds;
  RunNormalize(state, TelegrafBodySeconds(), o);
}
BENCHMARK(BM_ValidateNormalizeSecondsPrecision);

void BM_ValidateNormalizeWithInstanceTag(benchmark::State& state) {
  NormalizeOptions o;
  o.extra_tag_key = "_instance_id";
  o.extra_tag_value = "edge-site-17";
  RunNormalize(state, TelegrafBody(), o);
}
BENCHMARK(BM_ValidateNormalizeWithInstanceTag);

void BM_FilterByMeasurement(benchmark::State& state) {
  const std::string& body = TelegrafBody();
  const std::vector<std::string> allowed = {"cpu", "mem"};
  std::string out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(FilterByMeasurement(body, allowed, &out));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_FilterByMeasurement);

void BM_SplitLines(benchmark::State& state) {
  const std::string& body = TelegrafBody();
  for (auto _ : state) {
    benchmark::DoNotOptimize(SplitLines(body, 2'500'000, 5000).size());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_SplitLines);

// Keeps each benchmark's byte rate so the summary can set them side by side.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      // With --benchmark_repetitions the median stands for the benchmark (it is reported last).
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
      auto it = r.counters.find("bytes_per_second");
      if (it != r.counters.end()) mb_per_s_[r.run_name.function_name] = it->second.value / 1e6;
    }
  }
  void PrintSummary() const {
    const double floor =
        mb_per_s_.count("BM_FloorMemchrNewlines") ? mb_per_s_.at("BM_FloorMemchrNewlines") : 0;
    const std::string& body = TelegrafBody();
    const size_t lines = static_cast<size_t>(std::count(body.begin(), body.end(), '\n'));
    std::printf("\nbody: %.1f MB, %zu lines, %.0f bytes/line (Telegraf-like)\n", body.size() / 1e6,
                lines, static_cast<double>(body.size()) / lines);
    std::printf("floor (memchr newline scan): %.0f MB/s\n", floor);
    for (const auto& [name, mbs] : mb_per_s_) {
      if (name == "BM_FloorMemchrNewlines") continue;
      std::printf(
          "%-40s %8.0f MB/s  = %.3f x floor%s\n", name.c_str(), mbs, floor > 0 ? mbs / floor : 0,
          name.rfind("BM_ValidateNormalize", 0) == 0
              ? (mbs >= 300 ? "  (target >= 300 MB/s: met)" : "  (target >= 300 MB/s: NOT met)")
              : "");
    }
  }

 private:
  std::map<std::string, double> mb_per_s_;
};

}  // namespace
}  // namespace edgerepl::lp

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  edgerepl::lp::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintSummary();
  benchmark::Shutdown();
  return 0;
}
