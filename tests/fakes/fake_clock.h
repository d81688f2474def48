// The one clock of the unit tests: time moves only when a test moves it, or when the code under
// test sleeps on it (a sleep is recorded and passes at once), so waits are checked exactly and cost
// nothing. Safe to share between the test's thread and the threads of the code it drives.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "common/clock.h"

namespace edgerepl::testing {

class FakeClock final : public Clock {
 public:
  // 2023-11-14T22:13:20Z on the wall, an hour into monotonic time (so that "a while ago" exists).
  static constexpr std::chrono::seconds kDefaultWall{1'700'000'000};
  static constexpr std::chrono::hours kDefaultSteady{1};

  FakeClock() = default;
  explicit FakeClock(std::chrono::system_clock::duration wall_since_epoch,
                     std::chrono::steady_clock::duration steady_since_start = kDefaultSteady)
      : steady_(steady_since_start), wall_(wall_since_epoch) {}

  std::chrono::steady_clock::time_point Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return steady_;
  }
  std::chrono::system_clock::time_point WallNow() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return wall_;
  }
  void SleepFor(std::chrono::nanoseconds d) override {
    std::lock_guard<std::mutex> lock(mu_);
    sleeps_.push_back(d);
    MoveLocked(d, /*wall_too=*/true);
  }

  // Both clocks, as real time passes.
  void Advance(std::chrono::nanoseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    MoveLocked(d, /*wall_too=*/true);
  }
  // Monotonic time only: a duration measured while the wall time a test expects stays put.
  void AdvanceSteady(std::chrono::nanoseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    MoveLocked(d, /*wall_too=*/false);
  }

  // Every SleepFor so far, in order.
  std::vector<std::chrono::nanoseconds> sleeps() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }

 private:
  void MoveLocked(std::chrono::nanoseconds d, bool wall_too) {
    steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    if (wall_too) wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }

  mutable std::mutex mu_;
  std::chrono::steady_clock::time_point steady_{kDefaultSteady};
  std::chrono::system_clock::time_point wall_{kDefaultWall};
  std::vector<std::chrono::nanoseconds> sleeps_;
};

}  // namespace edgerepl::testing
