// core/v1 Events about Remotes and Replications ("regarding" the object, reported by
// edgerepl-operator). Messages come from status computation, which never holds a secret.
#pragma once

#include <string>

#include "common/clock.h"
#include "operator/controllers/cluster.h"
#include "operator/status/events.h"

namespace edgerepl::op {

struct InvolvedObject {
  std::string kind;  // "Remote" | "Replication"
  std::string ns;
  std::string name;
  std::string uid;
  std::string resource_version;
};

// The Event object for `event` about `object` at `now`.
web::json::value MakeEvent(const InvolvedObject& object, const EventSpec& event,
                           std::chrono::system_clock::time_point now, const std::string& instance);

class EventRecorder {
 public:
  // `writer` and `clock` must outlive the recorder. `instance` names this operator process.
  EventRecorder(ClusterWriter& writer, const Clock& clock, std::string instance)
      : writer_(writer), clock_(clock), instance_(std::move(instance)) {}

  // Best effort: an Event that cannot be written is logged, never retried (status holds the truth).
  void Record(const InvolvedObject& object, const EventSpec& event);

 private:
  ClusterWriter& writer_;
  const Clock& clock_;
  std::string instance_;
};

}  // namespace edgerepl::op
