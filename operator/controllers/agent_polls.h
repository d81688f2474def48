// The latest poll of every agent pod, written by the poller and read by the reconciler, keyed by
// namespace/pod.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "operator/status/aggregate.h"

namespace edgerepl::op {

class AgentPolls {
 public:
  void Set(const std::string& ns, AgentPoll poll);
  std::optional<AgentPoll> Get(const std::string& ns, const std::string& pod) const;
  // Forgets the pods of `ns` not in `live`.
  void Retain(const std::string& ns, const std::set<std::string>& live);

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, AgentPoll> polls_;
};

}  // namespace edgerepl::op
