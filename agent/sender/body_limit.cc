#include "agent/sender/body_limit.h"

#include <algorithm>

namespace edgerepl::sender {

size_t BodyLimit::Limit(size_t configured) {
  std::lock_guard<std::mutex> lock(mu_);
  if (limit_ == 0) return configured;
  if (clock_.Now() - since_ >= grow_after_) {
    // Try bigger bodies again: the remote's limit may have been raised. What was refused before
    // is forgotten, so bodies up to the new limit may be learned as accepted.
    limit_ = std::min(limit_ * 2, configured);
    refused_ = 0;
    since_ = clock_.Now();
    if (limit_ >= configured) limit_ = 0;
  }
  return limit_ == 0 ? configured : std::min(limit_, configured);
}

size_t BodyLimit::Refused(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  refused_ = refused_ == 0 ? bytes : std::min(refused_, bytes);
  // The split that follows sends halves; what of them is taken raises the limit (Accepted).
  if (limit_ == 0 || limit_ >= bytes) limit_ = std::max<size_t>(bytes / 2, 1);
  since_ = clock_.Now();
  return limit_;
}

void BodyLimit::Accepted(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (limit_ == 0 || bytes <= limit_) return;
  if (refused_ == 0 || bytes < refused_) limit_ = bytes;
}

}  // namespace edgerepl::sender
