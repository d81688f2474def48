// spdlog (fmt) before cpprest: cpprest's U() macro breaks fmt's templates.
#include <spdlog/spdlog.h>

#include "operator/controllers/event_recorder.h"

#include "common/codec/rfc3339.h"
#include "operator/model/resources.h"

namespace edgerepl::op {

web::json::value MakeEvent(const InvolvedObject& object, const EventSpec& event,
                           std::chrono::system_clock::time_point now, const std::string& instance) {
  using web::json::value;
  value e = value::object();
  e["apiVersion"] = value::string("v1");
  e["kind"] = value::string("Event");
  e["metadata"] = value::object();
  e["metadata"]["generateName"] = value::string(object.name + ".");
  e["metadata"]["namespace"] = value::string(object.ns);
  value involved = value::object();
  involved["apiVersion"] = value::string(kApiVersion);
  involved["kind"] = value::string(object.kind);
  involved["namespace"] = value::string(object.ns);
  involved["name"] = value::string(object.name);
  if (!object.uid.empty()) involved["uid"] = value::string(object.uid);
  if (!object.resource_version.empty()) {
    involved["resourceVersion"] = value::string(object.resource_version);
  }
  e["involvedObject"] = involved;
  e["reason"] = value::string(event.reason);
  // The API caps an Event's message at 1 kB in events.k8s.io/v1; stay within it everywhere.
  e["message"] = value::string(event.message.substr(0, 1024));
  e["type"] = value::string(event.type);
  e["source"] = value::object();
  e["source"]["component"] = value::string("edgerepl-operator");
  e["firstTimestamp"] = value::string(codec::FormatRfc3339(now, codec::Fraction::kNone));
  e["lastTimestamp"] = value::string(codec::FormatRfc3339(now, codec::Fraction::kNone));
  e["eventTime"] = value::string(codec::FormatRfc3339(now, codec::Fraction::kMicros));
  e["count"] = value::number(1);
  e["action"] = value::string("Reconcile");
  e["reportingComponent"] = value::string("edgerepl-operator");
  e["reportingInstance"] = value::string(instance.substr(0, 128));
  return e;
}

void EventRecorder::Record(const InvolvedObject& object, const EventSpec& event) {
  Status s = writer_.CreateEvent(object.ns, MakeEvent(object, event, clock_.WallNow(), instance_));
  if (!s.ok()) {
    spdlog::warn("event {} for {} {}/{} not written: {}", event.reason, object.kind, object.ns,
                 object.name, s.ToString());
  }
}

}  // namespace edgerepl::op
