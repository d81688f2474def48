#include "tests/reliability/load_generator.h"

#include <cstdio>

#include "tests/reliability/http_post.h"

namespace edgerepl::reliability {

LoadGenerator::LoadGenerator(LoadOptions options) : options_(std::move(options)) {
  if (!options_.log_path.empty()) log_ = std::fopen(options_.log_path.c_str(), "a");
}

LoadGenerator::~LoadGenerator() {
  Stop();
  if (log_ != nullptr) std::fclose(log_);
}

void LoadGenerator::Start() {
  stop_ = false;
  for (int i = 0; i < options_.writers; ++i) threads_.emplace_back([this] { Run(); });
}

void LoadGenerator::Stop() {
  stop_ = true;
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

std::string LoadGenerator::Body(uint64_t first, int count) const {
  std::string body;
  std::string pad =
      options_.pad_bytes > 0
          ? ",pad=\"" + std::string(static_cast<size_t>(options_.pad_bytes), 'p') + "\""
          : "";
  body.reserve(static_cast<size_t>(count) * (64 + pad.size()));
  for (uint64_t seq = first; seq < first + static_cast<uint64_t>(count); ++seq) {
    body += "acct,gen=" + options_.run + " seq=" + std::to_string(seq) +
            (Conflicts(seq) ? ".5" : "i") + pad + " " +
            std::to_string(options_.base_ns + static_cast<int64_t>(seq)) + "\n";
  }
  return body;
}

bool LoadGenerator::Conflicts(uint64_t seq) const {
  const auto every = static_cast<uint64_t>(options_.conflict_every);
  return every > 0 && seq % every == every / 2;
}

void LoadGenerator::Run() {
  const int n = options_.points_per_request;
  while (!stop_) {
    uint64_t first = next_seq_.fetch_add(static_cast<uint64_t>(n));
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (fates_.size() < first + n) fates_.resize(first + n, PointFate::kUnsent);
      for (uint64_t s = first; s < first + n; ++s) fates_[s] = PointFate::kUnknown;
    }
    HttpResult r = HttpCall(options_.port, "POST", options_.target, Body(first, n),
                            options_.timeout, options_.extra_headers);
    PointFate fate = r.status == 0           ? PointFate::kUnknown
                     : (r.status / 100 == 2) ? PointFate::kAcked
                                             : PointFate::kRefused;
    ++requests_;
    const bool partial = r.status == 400 && r.body.find("partial write") != std::string::npos;
    if (partial) ++partial_;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (uint64_t s = first; s < first + n; ++s) {
        fates_[s] = partial ? (Conflicts(s) ? PointFate::kRefused : PointFate::kAcked) : fate;
        if (fates_[s] == PointFate::kAcked) ++acked_;
      }
      latencies_.push_back({std::chrono::steady_clock::now(), r.latency, r.status});
      if (log_ != nullptr) {
        std::fprintf(log_, "%llu %d %d %lld\n", static_cast<unsigned long long>(first), n, r.status,
                     static_cast<long long>(r.latency.count()));
      }
    }
    if (options_.pause.count() > 0) std::this_thread::sleep_for(options_.pause);
    // No answer: the agent is down or restarting; do not spin through sequence numbers.
    if (r.status == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::vector<PointFate> LoadGenerator::Fates() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fates_;
}

std::vector<LatencySample> LoadGenerator::Latencies() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latencies_;
}

}  // namespace edgerepl::reliability
