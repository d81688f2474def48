// spdlog (fmt) before cpprest: cpprest's U() macro breaks fmt's templates.
#include <spdlog/spdlog.h>

#include "operator/controllers/event_recorder.h"

#include <ctime>

#include "operator/model/resources.h"

namespace edgerepl::op {
namespace {

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string MicroTime(std::chrono::system_clock::time_point t) {
  auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  std::string s = Rfc3339(t);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(us));
  return s.substr(0, s.size() - 1) + frac + "Z";
}

}  // namespace

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
  e["firstTimestamp"] = value::string(Rfc3339(now));
  e["lastTimestamp"] = value::string(Rfc3339(now));
  e["eventTime"] = value::string(MicroTime(now));
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
