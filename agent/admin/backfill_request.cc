#include "agent/admin/backfill_request.h"

#include <charconv>

#include "agent/backfill/json.h"
#include "common/config/config.h"
#include "common/config/timestamp.h"

namespace edgerepl::admin {
namespace {

using backfill::JsonValue;

Result<int64_t> Time(const JsonValue& body, const char* key) {
  const JsonValue* v = body.Find(key);
  if (v == nullptr || v->IsNull()) return Status::InvalidArgument(std::string(key) + ": required");
  std::optional<int64_t> t;
  if (v->kind == JsonValue::Kind::kString) t = config::ParseTimestamp(v->text);
  if (!t) {
    return Status::InvalidArgument(std::string(key) +
                                   ": invalid time (expected RFC 3339, e.g. 2026-01-01T00:00:00Z)");
  }
  return *t;
}

}  // namespace

Result<BackfillRequest> ParseBackfillRequest(std::string_view text) {
  Result<JsonValue> body = backfill::ParseJson(text);
  if (!body.ok()) return body.status();
  if (body->kind != JsonValue::Kind::kObject) {
    return Status::InvalidArgument(
        "expected a JSON object {\"from\", \"to\", "
        "\"maxPointsPerSecond\"}");
  }
  for (const auto& [key, value] : body->members) {
    if (key != "from" && key != "to" && key != "maxPointsPerSecond") {
      return Status::InvalidArgument(key + ": unknown field");
    }
  }
  BackfillRequest r;
  Result<int64_t> from = Time(*body, "from");
  if (!from.ok()) return from.status();
  Result<int64_t> to = Time(*body, "to");
  if (!to.ok()) return to.status();
  if (*to <= *from) {
    return Status::InvalidArgument("to: must be after from (" + config::FormatTimestamp(*from) +
                                   "), got " + config::FormatTimestamp(*to));
  }
  r.from_ns = *from;
  r.to_ns = *to;
  r.max_points_per_second = config::kDefaultBackfillMaxPointsPerSecond;
  if (const JsonValue* rate = body->Find("maxPointsPerSecond"); rate && !rate->IsNull()) {
    uint64_t v = 0;
    const std::string& s = rate->text;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (rate->kind != JsonValue::Kind::kNumber || ec != std::errc() || ptr != s.data() + s.size() ||
        v < 1 || v > config::kMaxBackfillMaxPointsPerSecond) {
      return Status::InvalidArgument("maxPointsPerSecond: expected an integer from 1 to " +
                                     std::to_string(config::kMaxBackfillMaxPointsPerSecond));
    }
    r.max_points_per_second = v;
  }
  return r;
}

}  // namespace edgerepl::admin
