#include "operator/status/agent_report.h"

#include <cpprest/json.h>

#include <chrono>

#include "common/codec/rfc3339.h"

namespace edgerepl::op {
namespace {

const web::json::value* Field(const web::json::value& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.as_object().find(key);
  if (it == object.as_object().end() || it->second.is_null()) return nullptr;
  return &it->second;
}

std::string Str(const web::json::value& o, const char* key) {
  const web::json::value* v = Field(o, key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

int64_t Int(const web::json::value& o, const char* key) {
  const web::json::value* v = Field(o, key);
  if (v == nullptr || !v->is_number()) return 0;
  if (v->as_number().is_int64()) return v->as_number().to_int64();
  if (v->as_number().is_uint64()) return static_cast<int64_t>(v->as_number().to_uint64());
  return static_cast<int64_t>(v->as_double());
}

uint64_t Uint(const web::json::value& o, const char* key) {
  int64_t v = Int(o, key);
  return v < 0 ? 0 : static_cast<uint64_t>(v);
}

// lastSuccessTime may be RFC 3339 text or unix seconds; status shows RFC 3339.
std::string Time(const web::json::value& o, const char* key) {
  const web::json::value* v = Field(o, key);
  if (v == nullptr) return "";
  if (v->is_string()) return v->as_string();
  if (!v->is_number()) return "";
  // Times are held as int64 nanoseconds, which end in April 2262 (as InfluxDB's do); a report
  // past that (or before 1970, or not a number) is not a time the agent can have written.
  constexpr double kLastSecond = 9'223'372'036.0;
  const double seconds = v->as_double();
  if (!(seconds >= 1 && seconds < kLastSecond)) return "";
  return codec::FormatRfc3339(static_cast<int64_t>(seconds) * 1'000'000'000,
                              codec::Fraction::kNone);
}

}  // namespace

const AgentReplication* AgentReport::Find(const std::string& id) const {
  for (const AgentReplication& r : replications) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

Result<AgentReport> ParseAgentReport(const std::string& body) {
  web::json::value root;
  try {
    root = web::json::value::parse(body);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("agent answer is not JSON: ") + e.what());
  }
  if (!root.is_object()) return Status::InvalidArgument("agent answer is not a JSON object");
  AgentReport report;
  report.version = Str(root, "version");
  report.config_hash = Str(root, "configHash");
  const web::json::value* list = Field(root, "replications");
  if (list == nullptr || !list->is_array()) {
    return Status::InvalidArgument("agent answer has no replications list");
  }
  for (const web::json::value& r : list->as_array()) {
    if (!r.is_object()) continue;
    AgentReplication a;
    a.id = Str(r, "id");
    a.name = Str(r, "name");
    a.state = Str(r, "state");
    a.max_queue_size_bytes = Uint(r, "maxQueueSizeBytes");
    a.current_queue_size_bytes = Uint(r, "currentQueueSizeBytes");
    a.pending_points = Uint(r, "pendingPoints");
    a.latest_response_code = static_cast<int>(Int(r, "latestResponseCode"));
    a.latest_error_message = Str(r, "latestErrorMessage");
    a.last_success_time = Time(r, "lastSuccessTime");
    a.consecutive_failures = Uint(r, "consecutiveFailures");
    a.oldest_pending_age_seconds = Int(r, "oldestPendingAgeSeconds");
    if (const web::json::value* d = Field(r, "dropped"); d != nullptr && d->is_object()) {
      for (const auto& [reason, points] : d->as_object()) {
        if (points.is_number()) a.dropped[reason] = Uint(*d, reason.c_str());
      }
    }
    if (const web::json::value* b = Field(r, "backfill"); b != nullptr && b->is_object()) {
      BackfillReport& out = a.backfill.emplace();
      out.from = Str(*b, "from");
      out.to = Str(*b, "to");
      out.done_until = Str(*b, "doneUntil");
      out.points = Uint(*b, "points");
      out.pending_points = Uint(*b, "pendingPoints");
      out.state = Str(*b, "state");
      out.last_error = Str(*b, "lastError");
    }
    report.replications.push_back(std::move(a));
  }
  return report;
}

}  // namespace edgerepl::op
