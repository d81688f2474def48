// A clock for unit tests: time moves only when a test advances it or something sleeps on it (a
// sleep advances time at once and is recorded, so waits are checked exactly and cost nothing).
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "common/clock.h"

namespace edgerepl::kube::testing {

class FakeClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  std::chrono::system_clock::time_point WallNow() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(now_.time_since_epoch()));
  }
  void SleepFor(std::chrono::nanoseconds d) override {
    std::lock_guard<std::mutex> lock(mu_);
    sleeps_.push_back(d);
    now_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
  }
  void Advance(std::chrono::nanoseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
  }
  std::vector<std::chrono::nanoseconds> sleeps() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }

 private:
  mutable std::mutex mu_;
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1000)};
  std::vector<std::chrono::nanoseconds> sleeps_;
};

}  // namespace edgerepl::kube::testing
