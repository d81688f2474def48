#include "common/httpserver/body_budget.h"

#include <vector>

namespace edgerepl::httpserver {

void BodyBudget::SetLimit(uint64_t limit) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    limit_ = limit;
  }
  WakeAll();
}

bool BodyBudget::FitsLocked(uint64_t bytes, uint64_t own) const {
  return limit_ == 0 || held_ + bytes <= limit_ || held_ == own;
}

bool BodyBudget::TryAcquire(uint64_t bytes, uint64_t own) {
  if (bytes == 0) return true;
  std::lock_guard<std::mutex> lock(mu_);
  if (!FitsLocked(bytes, own)) return false;
  held_ += bytes;
  return true;
}

uint64_t BodyBudget::AcquireOrWatch(uint64_t bytes, uint64_t own, std::function<void()> wake) {
  if (bytes == 0) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  if (FitsLocked(bytes, own)) {
    held_ += bytes;
    return 0;
  }
  uint64_t id = next_watch_++;
  if (!closed_) watchers_.emplace(id, std::move(wake));
  return id;
}

void BodyBudget::Forget(uint64_t watch) {
  std::lock_guard<std::mutex> lock(mu_);
  watchers_.erase(watch);
}

void BodyBudget::Close() {
  std::map<uint64_t, std::function<void()>> gone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    gone.swap(watchers_);
  }
}

void BodyBudget::Release(uint64_t bytes) {
  if (bytes == 0) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    held_ -= bytes;
  }
  WakeAll();
}

void BodyBudget::WakeAll() {
  // Copied so a woken watcher may Forget (or watch again) without deadlock; only under pressure
  // is there anyone to wake.
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (watchers_.empty()) return;
    wake.reserve(watchers_.size());
    for (const auto& [id, fn] : watchers_) wake.push_back(fn);
  }
  for (auto& fn : wake) fn();
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
