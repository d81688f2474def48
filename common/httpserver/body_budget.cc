#include "common/httpserver/body_budget.h"

namespace edgerepl::httpserver {

void BodyBudget::SetLimit(uint64_t limit) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    limit_ = limit;
  }
  cv_.notify_all();
}

bool BodyBudget::FitsLocked(uint64_t bytes, uint64_t own) const {
  return limit_ == 0 || held_ + bytes <= limit_ || held_ == own;
}

bool BodyBudget::Acquire(uint64_t bytes, uint64_t own, std::chrono::milliseconds wait) {
  if (bytes == 0) return true;
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, wait, [&] { return FitsLocked(bytes, own); })) return false;
  held_ += bytes;
  return true;
}

void BodyBudget::Release(uint64_t bytes) {
  if (bytes == 0) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    held_ -= bytes;
  }
  cv_.notify_all();
}

uint64_t BodyBudget::held() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_;
}

uint64_t BodyBudget::limit() const {
  std::lock_guard<std::mutex> lock(mu_);
  return limit_;
}

}  // namespace edgerepl::httpserver
