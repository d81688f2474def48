#include "operator/kube/workqueue.h"

namespace edgerepl::kube {
namespace {

// controller-runtime's buckets for both durations: 10 ns to 1000 s, factor 10.
prometheus::Histogram::BucketBoundaries DurationBuckets() {
  prometheus::Histogram::BucketBoundaries b;
  double v = 1e-8;
  for (int i = 0; i < 12; ++i, v *= 10) b.push_back(v);
  return b;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

WorkQueue::WorkQueue(std::string name, const Clock& clock, prometheus::Registry* registry,
                     RateLimiterPtr limiter)
    : name_(std::move(name)),
      clock_(clock),
      limiter_(limiter ? std::move(limiter) : DefaultControllerRateLimiter(clock)) {
  if (registry != nullptr) {
    const prometheus::Labels labels{{"name", name_}};
    depth_ = &prometheus::BuildGauge()
                  .Name("workqueue_depth")
                  .Help("Current depth of the work queue.")
                  .Register(*registry)
                  .Add(labels);
    adds_ = &prometheus::BuildCounter()
                 .Name("workqueue_adds_total")
                 .Help("Total number of adds handled by the work queue.")
                 .Register(*registry)
                 .Add(labels);
    retries_ = &prometheus::BuildCounter()
                    .Name("workqueue_retries_total")
                    .Help("Total number of retries handled by the work queue.")
                    .Register(*registry)
                    .Add(labels);
    queue_duration_ = &prometheus::BuildHistogram()
                           .Name("workqueue_queue_duration_seconds")
                           .Help(
                               "How long in seconds an item stays in the work queue before "
                               "being requested.")
                           .Register(*registry)
                           .Add(labels, DurationBuckets());
    work_duration_ = &prometheus::BuildHistogram()
                          .Name("workqueue_work_duration_seconds")
                          .Help(
                              "How long in seconds processing an item from the work queue "
                              "takes.")
                          .Register(*registry)
                          .Add(labels, DurationBuckets());
  }
  delay_thread_ = std::thread([this] { DelayLoop(); });
}

WorkQueue::~WorkQueue() {
  ShutDown();
}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_) return;
  if (dirty_.count(key) != 0) return;
  dirty_.insert(key);
  added_at_.emplace(key, clock_.Now());
  if (adds_) adds_->Increment();
  // A key being processed is queued again when its worker calls Done.
  if (processing_.count(key) != 0) return;
  queue_.push_back(key);
  if (depth_) depth_->Increment();
  cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::nanoseconds delay) {
  if (delay <= std::chrono::nanoseconds(0)) {
    Add(key);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return;
  auto ready_at =
      clock_.Now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay);
  auto it = delayed_at_.find(key);
  if (it != delayed_at_.end() && it->second <= ready_at) return;
  delayed_at_[key] = ready_at;
  delayed_.push({ready_at, key});
  delay_cv_.notify_one();
}

void WorkQueue::AddRateLimited(const std::string& key) {
  if (retries_) retries_->Increment();
  AddAfter(key, limiter_->When(key));
}

void WorkQueue::Forget(const std::string& key) {
  limiter_->Forget(key);
}

int WorkQueue::NumRequeues(const std::string& key) {
  return limiter_->NumRequeues(key);
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return shutting_down_ || !queue_.empty(); });
  if (shutting_down_) return std::nullopt;
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  if (depth_) depth_->Decrement();
  processing_.insert(key);
  dirty_.erase(key);
  auto now = clock_.Now();
  auto added = added_at_.find(key);
  if (added != added_at_.end()) {
    if (queue_duration_) queue_duration_->Observe(Seconds(now - added->second));
    added_at_.erase(added);
  }
  started_at_[key] = now;
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(key);
  auto started = started_at_.find(key);
  if (started != started_at_.end()) {
    if (work_duration_) work_duration_->Observe(Seconds(clock_.Now() - started->second));
    started_at_.erase(started);
  }
  if (!shutting_down_ && dirty_.count(key) != 0) {
    queue_.push_back(key);
    if (depth_) depth_->Increment();
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!shutting_down_) {
      shutting_down_ = true;
      if (depth_) depth_->Set(0);
      queue_.clear();
      dirty_.clear();
      delayed_ = {};
      delayed_at_.clear();
    }
  }
  cv_.notify_all();
  delay_cv_.notify_all();
  if (delay_thread_.joinable() && delay_thread_.get_id() != std::this_thread::get_id()) {
    delay_thread_.join();
  }
}

bool WorkQueue::ShuttingDown() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shutting_down_;
}

size_t WorkQueue::Len() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void WorkQueue::DelayLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!shutting_down_) {
    if (delayed_.empty()) {
      delay_cv_.wait(lock);
      continue;
    }
    auto now = clock_.Now();
    const Delayed& top = delayed_.top();
    if (top.ready_at > now) {
      delay_cv_.wait_for(lock, top.ready_at - now);
      continue;
    }
    Delayed item = top;
    delayed_.pop();
    // Only the key's current deadline counts; a later AddAfter with an earlier time left this
    // entry stale.
    auto it = delayed_at_.find(item.key);
    if (it == delayed_at_.end() || it->second != item.ready_at) continue;
    delayed_at_.erase(it);
    AddLocked(item.key);
  }
}

}  // namespace edgerepl::kube
