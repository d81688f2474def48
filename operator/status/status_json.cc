#include "operator/status/status_json.h"

namespace edgerepl::op {
namespace {

using web::json::value;

const value* Field(const value& o, const char* key) {
  if (!o.is_object()) return nullptr;
  auto it = o.as_object().find(key);
  if (it == o.as_object().end() || it->second.is_null()) return nullptr;
  return &it->second;
}

std::string Str(const value& o, const char* key) {
  const value* v = Field(o, key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

int64_t Int(const value& o, const char* key) {
  const value* v = Field(o, key);
  if (v == nullptr || !v->is_number()) return 0;
  return v->as_number().is_int64() ? v->as_number().to_int64() : 0;
}

bool Bool(const value& o, const char* key) {
  const value* v = Field(o, key);
  return v != nullptr && v->is_boolean() && v->as_bool();
}

value U64(uint64_t n) {
  return value::number(static_cast<int64_t>(n));
}

// Strings are written only when set, so empty fields do not clutter `kubectl get -o yaml`; the
// decoder treats absent as empty, so comparisons stay exact.
void PutString(value& o, const char* key, const std::string& s) {
  if (!s.empty()) o[key] = value::string(s);
}

}  // namespace

value ConditionsToJson(const std::vector<Condition>& conditions) {
  value arr = value::array(conditions.size());
  for (size_t i = 0; i < conditions.size(); ++i) {
    const Condition& c = conditions[i];
    value o = value::object();
    o["type"] = value::string(c.type);
    o["status"] = value::string(c.status);
    o["reason"] = value::string(c.reason);
    o["message"] = value::string(c.message);
    o["observedGeneration"] = value::number(c.observed_generation);
    o["lastTransitionTime"] = value::string(c.last_transition_time);
    arr[i] = o;
  }
  return arr;
}

std::vector<Condition> ConditionsFromJson(const value* conditions) {
  std::vector<Condition> out;
  if (conditions == nullptr || !conditions->is_array()) return out;
  for (const value& c : conditions->as_array()) {
    out.push_back(Condition{Str(c, "type"), Str(c, "status"), Str(c, "reason"), Str(c, "message"),
                            Int(c, "observedGeneration"), Str(c, "lastTransitionTime")});
  }
  return out;
}

value ToJson(const ReplicationStatus& s) {
  value o = value::object();
  o["observedGeneration"] = value::number(s.observed_generation);
  PutString(o, "remoteBucket", s.remote_bucket);
  o["currentQueueSizeBytes"] = U64(s.current_queue_size_bytes);
  o["latestResponseCode"] = value::number(s.latest_response_code);
  o["oldestPendingAgeSeconds"] = value::number(s.oldest_pending_age_seconds);
  o["agents"] = value::number(s.agents);
  o["readyAgents"] = value::number(s.ready_agents);
  o["agentsSummary"] = value::string(s.agents_summary);
  value agents = value::array(s.agent_statuses.size());
  for (size_t i = 0; i < s.agent_statuses.size(); ++i) {
    const AgentStatusEntry& e = s.agent_statuses[i];
    value a = value::object();
    a["pod"] = value::string(e.pod);
    PutString(a, "podIP", e.pod_ip);
    a["reachable"] = value::boolean(e.reachable);
    PutString(a, "error", e.error);
    a["state"] = value::string(e.state);
    a["currentQueueSizeBytes"] = U64(e.current_queue_size_bytes);
    a["pendingPoints"] = U64(e.pending_points);
    a["latestResponseCode"] = value::number(e.latest_response_code);
    PutString(a, "latestErrorMessage", e.latest_error_message);
    PutString(a, "lastSuccessTime", e.last_success_time);
    a["consecutiveFailures"] = U64(e.consecutive_failures);
    a["oldestPendingAgeSeconds"] = value::number(e.oldest_pending_age_seconds);
    if (!e.dropped.empty()) {
      value d = value::object();
      for (const auto& [reason, points] : e.dropped) d[reason] = U64(points);
      a["dropped"] = d;
    }
    if (e.backfill) {
      const BackfillReport& b = *e.backfill;
      value bf = value::object();
      bf["from"] = value::string(b.from);
      bf["to"] = value::string(b.to);
      bf["doneUntil"] = value::string(b.done_until);
      bf["points"] = U64(b.points);
      bf["pendingPoints"] = U64(b.pending_points);
      bf["state"] = value::string(b.state);
      PutString(bf, "lastError", b.last_error);
      a["backfill"] = bf;
    }
    agents[i] = a;
  }
  o["agentStatuses"] = agents;
  o["conditions"] = ConditionsToJson(s.conditions);
  return o;
}

value ToJson(const RemoteStatus& s) {
  value o = value::object();
  o["observedGeneration"] = value::number(s.observed_generation);
  o["replications"] = value::number(s.replications);
  o["conditions"] = ConditionsToJson(s.conditions);
  return o;
}

ReplicationStatus ReplicationStatusFromObject(const value& object) {
  ReplicationStatus s;
  const value* st = Field(object, "status");
  if (st == nullptr) return s;
  s.observed_generation = Int(*st, "observedGeneration");
  s.remote_bucket = Str(*st, "remoteBucket");
  s.current_queue_size_bytes = static_cast<uint64_t>(Int(*st, "currentQueueSizeBytes"));
  s.latest_response_code = static_cast<int>(Int(*st, "latestResponseCode"));
  s.oldest_pending_age_seconds = Int(*st, "oldestPendingAgeSeconds");
  s.agents = static_cast<int>(Int(*st, "agents"));
  s.ready_agents = static_cast<int>(Int(*st, "readyAgents"));
  s.agents_summary = Str(*st, "agentsSummary");
  if (const value* list = Field(*st, "agentStatuses"); list != nullptr && list->is_array()) {
    for (const value& a : list->as_array()) {
      AgentStatusEntry e;
      e.pod = Str(a, "pod");
      e.pod_ip = Str(a, "podIP");
      e.reachable = Bool(a, "reachable");
      e.error = Str(a, "error");
      e.state = Str(a, "state");
      e.current_queue_size_bytes = static_cast<uint64_t>(Int(a, "currentQueueSizeBytes"));
      e.pending_points = static_cast<uint64_t>(Int(a, "pendingPoints"));
      e.latest_response_code = static_cast<int>(Int(a, "latestResponseCode"));
      e.latest_error_message = Str(a, "latestErrorMessage");
      e.last_success_time = Str(a, "lastSuccessTime");
      e.consecutive_failures = static_cast<uint64_t>(Int(a, "consecutiveFailures"));
      e.oldest_pending_age_seconds = Int(a, "oldestPendingAgeSeconds");
      if (const value* d = Field(a, "dropped"); d != nullptr && d->is_object()) {
        for (const auto& [reason, points] : d->as_object()) {
          if (points.is_number())
            e.dropped[reason] = static_cast<uint64_t>(Int(*d, reason.c_str()));
        }
      }
      if (const value* b = Field(a, "backfill"); b != nullptr && b->is_object()) {
        BackfillReport& out = e.backfill.emplace();
        out.from = Str(*b, "from");
        out.to = Str(*b, "to");
        out.done_until = Str(*b, "doneUntil");
        out.points = static_cast<uint64_t>(Int(*b, "points"));
        out.pending_points = static_cast<uint64_t>(Int(*b, "pendingPoints"));
        out.state = Str(*b, "state");
        out.last_error = Str(*b, "lastError");
      }
      s.agent_statuses.push_back(std::move(e));
    }
  }
  s.conditions = ConditionsFromJson(Field(*st, "conditions"));
  return s;
}

RemoteStatus RemoteStatusFromObject(const value& object) {
  RemoteStatus s;
  const value* st = Field(object, "status");
  if (st == nullptr) return s;
  s.observed_generation = Int(*st, "observedGeneration");
  s.replications = static_cast<int>(Int(*st, "replications"));
  s.conditions = ConditionsFromJson(Field(*st, "conditions"));
  return s;
}

value StatusPatch(value status) {
  value patch = value::object();
  patch["status"] = std::move(status);
  return patch;
}

}  // namespace edgerepl::op
