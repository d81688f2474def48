#include "common/clock.h"

#include <thread>

namespace edgerepl {

void RealClock::SleepFor(std::chrono::nanoseconds d) {
  if (d.count() > 0) std::this_thread::sleep_for(d);
}

RealClock& RealClock::Instance() {
  static RealClock clock;
  return clock;
}

}  // namespace edgerepl
