// Writes uniquely numbered points through the agent, concurrently, and remembers the fate of
// every one: `acct,gen=<run> seq=<n>i <base+n>`. The timestamp is a function of seq, so a resent
// point is identical to the original and the remote stores it once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace edgerepl::reliability {

enum class PointFate : uint8_t {
  kUnsent = 0,
  kUnknown,  // sent, no answer (agent killed, timeout): may or may not be stored
  kAcked,    // 2xx: the agent promised to replicate it or count it as dropped
  kRefused,  // an error answer: the agent promised nothing
};

struct LoadOptions {
  int port = 0;  // the agent's write port
  std::string target = "/write?db=acct&precision=ns";
  std::string run;      // tag gen=<run>
  int64_t base_ns = 0;  // timestamp of seq 0
  int writers = 4;      // concurrent clients
  int points_per_request = 100;
  std::chrono::milliseconds pause{0};  // between a writer's requests
  std::chrono::milliseconds timeout{10000};
  std::string extra_headers;  // e.g. "Authorization: Token ...\r\n"
  int pad_bytes = 0;          // a string field of this size makes points bigger
  std::string log_path;       // when set: one line per request "first count status us"
  // Every n-th seq (0: none) is written as a float, a field-type conflict once seq is an integer
  // field: influxd refuses that line in a partial write (400) and stores the others, which are
  // then acknowledged (stored locally; the agent promises to replicate them) and the conflicting
  // ones refused.
  int conflict_every = 0;
};

struct LatencySample {
  std::chrono::steady_clock::time_point at;
  std::chrono::microseconds latency;
  int status;
};

class LoadGenerator {
 public:
  explicit LoadGenerator(LoadOptions options);
  ~LoadGenerator();

  void Start();
  void Stop();  // waits for requests in flight

  // Fates indexed by seq; seqs >= next_seq() were never sent.
  std::vector<PointFate> Fates() const;
  uint64_t next_seq() const { return next_seq_.load(); }
  uint64_t acked_points() const { return acked_.load(); }
  uint64_t requests() const { return requests_.load(); }
  std::vector<LatencySample> Latencies() const;
  // The body of one request for seqs [first, first+count).
  std::string Body(uint64_t first, int count) const;
  // Whether seq is written as a conflicting float (conflict_every).
  bool Conflicts(uint64_t seq) const;
  // Requests answered with a partial write.
  uint64_t partial_writes() const { return partial_.load(); }

 private:
  void Run();

  LoadOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> next_seq_{0};
  std::atomic<uint64_t> acked_{0};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> partial_{0};
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::vector<PointFate> fates_;
  std::vector<LatencySample> latencies_;
  FILE* log_ = nullptr;
};

}  // namespace edgerepl::reliability
