#include "operator/controllers/agent_polls.h"

namespace edgerepl::op {

void AgentPolls::Set(const std::string& ns, AgentPoll poll) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string pod = poll.pod;
  polls_[{ns, pod}] = std::move(poll);
}

std::optional<AgentPoll> AgentPolls::Get(const std::string& ns, const std::string& pod) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = polls_.find({ns, pod});
  if (it == polls_.end()) return std::nullopt;
  return it->second;
}

void AgentPolls::Retain(const std::string& ns, const std::set<std::string>& live) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = polls_.lower_bound({ns, ""}); it != polls_.end() && it->first.first == ns;) {
    it = live.count(it->first.second) ? std::next(it) : polls_.erase(it);
  }
}

}  // namespace edgerepl::op
