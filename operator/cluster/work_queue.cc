#include "operator/cluster/work_queue.h"

#include <algorithm>

namespace edgerepl::op {
namespace {

const prometheus::Histogram::BucketBoundaries& Buckets() {
  static const prometheus::Histogram::BucketBoundaries b = {1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3,
                                                            0.01, 0.1,  1,    10,   100,  1000};
  return b;
}

}  // namespace

WorkQueue::WorkQueue(std::string name, prometheus::Registry* registry) {
  if (registry == nullptr) return;
  prometheus::Labels l{{"name", name}};
  depth_ = &prometheus::BuildGauge()
                .Name("workqueue_depth")
                .Help("Keys waiting in the work queue.")
                .Register(*registry)
                .Add(l);
  adds_ = &prometheus::BuildCounter()
               .Name("workqueue_adds_total")
               .Help("Keys added to the work queue.")
               .Register(*registry)
               .Add(l);
  retries_ = &prometheus::BuildCounter()
                  .Name("workqueue_retries_total")
                  .Help("Keys re-added after a failed reconcile.")
                  .Register(*registry)
                  .Add(l);
  queue_duration_ = &prometheus::BuildHistogram()
                         .Name("workqueue_queue_duration_seconds")
                         .Help("Time a key waited in the queue before processing.")
                         .Register(*registry)
                         .Add(l, Buckets());
  work_duration_ = &prometheus::BuildHistogram()
                        .Name("workqueue_work_duration_seconds")
                        .Help("Time processing one key took.")
                        .Register(*registry)
                        .Add(l, Buckets());
}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutdown_ || dirty_.count(key)) return;
  dirty_.insert(key);
  if (adds_) adds_->Increment();
  added_at_.emplace(key, std::chrono::steady_clock::now());
  if (processing_.count(key)) return;  // queued again by Done
  queue_.push_back(key);
  if (depth_) depth_->Set(static_cast<double>(queue_.size()));
  cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  if (delay.count() <= 0) {
    AddLocked(key);
    return;
  }
  delayed_.emplace(std::chrono::steady_clock::now() + delay, key);
  cv_.notify_one();
}

void WorkQueue::AddRateLimited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int n = failures_[key]++;
    double ms = 5.0 * static_cast<double>(1ULL << std::min(n, 30));
    delay = std::chrono::milliseconds(static_cast<int64_t>(std::min(ms, 1000.0 * 1000)));
    if (retries_) retries_->Increment();
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

void WorkQueue::PromoteDueLocked(std::chrono::steady_clock::time_point now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    std::string key = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    AddLocked(key);
  }
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    PromoteDueLocked(std::chrono::steady_clock::now());
    if (!queue_.empty()) break;
    if (shutdown_) return std::nullopt;
    if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, delayed_.begin()->first);
    }
  }
  std::string key = queue_.front();
  queue_.pop_front();
  if (depth_) depth_->Set(static_cast<double>(queue_.size()));
  dirty_.erase(key);
  processing_.insert(key);
  auto now = std::chrono::steady_clock::now();
  if (auto it = added_at_.find(key); it != added_at_.end()) {
    if (queue_duration_) {
      queue_duration_->Observe(std::chrono::duration<double>(now - it->second).count());
    }
    added_at_.erase(it);
  }
  started_at_[key] = now;
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(key);
  if (auto it = started_at_.find(key); it != started_at_.end()) {
    if (work_duration_) {
      work_duration_->Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second).count());
    }
    started_at_.erase(it);
  }
  if (dirty_.count(key)) {
    queue_.push_back(key);
    if (depth_) depth_->Set(static_cast<double>(queue_.size()));
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = true;
  cv_.notify_all();
}

size_t WorkQueue::Len() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

}  // namespace edgerepl::op
