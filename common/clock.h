// Time and randomness seams. Monotonic time measures intervals (timeouts, backoff); wall time is
// for display and for enqueue timestamps that must survive a restart. Tests use FakeClock
// (tests/support/fake_clock.h) to advance both explicitly.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>

namespace edgerepl {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point Now() const = 0;
  virtual std::chrono::system_clock::time_point WallNow() const = 0;
  // Blocks for `d` of this clock's time. A fake clock returns once time was advanced past it.
  virtual void SleepFor(std::chrono::nanoseconds d) = 0;

  int64_t WallNowNanos() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(WallNow().time_since_epoch())
        .count();
  }
};
using ClockPtr = std::unique_ptr<Clock>;

class RealClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::now();
  }
  void SleepFor(std::chrono::nanoseconds d) override;

  // The process-wide real clock; it is stateless, so sharing it is safe.
  static RealClock& Instance();
};

class Random {
 public:
  virtual ~Random() = default;
  // Uniform in [0, bound); bound 0 returns 0.
  virtual uint64_t Uniform(uint64_t bound) = 0;
};
using RandomPtr = std::unique_ptr<Random>;

class RealRandom final : public Random {
 public:
  RealRandom() : gen_(std::random_device{}()) {}
  explicit RealRandom(uint64_t seed) : gen_(seed) {}
  uint64_t Uniform(uint64_t bound) override {
    if (bound == 0) return 0;
    std::lock_guard<std::mutex> lock(mu_);
    return std::uniform_int_distribution<uint64_t>(0, bound - 1)(gen_);
  }

 private:
  std::mutex mu_;
  std::mt19937_64 gen_;
};

}  // namespace edgerepl
