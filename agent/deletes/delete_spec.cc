#include "agent/deletes/delete_spec.h"

#include <cpprest/json.h>

#include <exception>
#include <set>

#include "agent/deletes/influxql_lexer.h"
#include "agent/deletes/tag_keys.h"
#include "common/codec/utf8.h"

namespace edgerepl::deletes {
namespace {

constexpr std::string_view kKindDelete = "delete";
constexpr std::string_view kKindDropSeries = "dropSeries";

Status Malformed(std::string_view why) {
  return Status::InvalidArgument("delete record: " + std::string(why));
}

// int64 members only: a double would lose nanoseconds near the ends of InfluxDB's range.
std::optional<int64_t> Int64Member(const web::json::object& o, const std::string& key) {
  auto it = o.find(key);
  if (it == o.end() || !it->second.is_number()) return std::nullopt;
  const web::json::number& n = it->second.as_number();
  if (!n.is_integral() || !n.is_int64()) return std::nullopt;
  return n.to_int64();
}

}  // namespace

std::string EncodeRecord(const DeleteSpec& spec) {
  web::json::value v = web::json::value::object(/*keep_order=*/true);
  v["kind"] = web::json::value::string(
      std::string(spec.kind == DeleteSpec::Kind::kDropSeries ? kKindDropSeries : kKindDelete));
  if (spec.measurement) v["measurement"] = web::json::value::string(*spec.measurement);
  std::vector<web::json::value> tags;
  tags.reserve(spec.tags.size());
  for (const auto& [key, value] : spec.tags) {
    tags.push_back(
        web::json::value::array({web::json::value::string(key), web::json::value::string(value)}));
  }
  v["tags"] = web::json::value::array(std::move(tags));
  v["start"] = web::json::value::number(spec.start_ns);
  v["stop"] = web::json::value::number(spec.stop_ns);
  // The serializer escapes control characters, so the JSON never holds a raw newline.
  return std::string(kDeleteMarker) + v.serialize() + "\n";
}

Result<DeleteSpec> DecodeRecord(std::string_view payload) {
  if (!IsDeleteRecord(payload)) return Malformed("does not start with the delete marker");
  std::string_view body = payload.substr(kDeleteMarker.size());
  if (body.empty() || body.back() != '\n') return Malformed("does not end with a newline");
  body.remove_suffix(1);
  if (body.find('\n') != std::string_view::npos) return Malformed("is more than one line");
  // The JSON parser lets some ill-formed UTF-8 through; no spec this version writes holds any.
  if (!codec::IsValidUtf8(body)) return Malformed("is not valid UTF-8");

  web::json::value v;
  try {
    v = web::json::value::parse(std::string(body));
  } catch (const std::exception& e) {
    return Malformed(std::string("is not JSON: ") + e.what());
  }
  if (!v.is_object()) return Malformed("is not a JSON object");
  const web::json::object& o = v.as_object();
  static const std::set<std::string, std::less<>> kMembers = {"kind", "measurement", "tags",
                                                              "start", "stop"};
  for (const auto& [key, unused] : o) {
    if (!kMembers.contains(key)) return Malformed("has an unknown member \"" + key + "\"");
  }

  DeleteSpec spec;
  auto kind = o.find("kind");
  if (kind == o.end() || !kind->second.is_string()) return Malformed("has no string \"kind\"");
  if (kind->second.as_string() == kKindDelete) {
    spec.kind = DeleteSpec::Kind::kDelete;
  } else if (kind->second.as_string() == kKindDropSeries) {
    spec.kind = DeleteSpec::Kind::kDropSeries;
  } else {
    return Malformed("has an unknown \"kind\"");
  }

  auto measurement = o.find("measurement");
  if (measurement != o.end()) {
    if (!measurement->second.is_string()) return Malformed("\"measurement\" is not a string");
    spec.measurement = measurement->second.as_string();
  }

  auto tags = o.find("tags");
  if (tags == o.end() || !tags->second.is_array()) return Malformed("has no array \"tags\"");
  for (const web::json::value& pair : tags->second.as_array()) {
    if (!pair.is_array() || pair.size() != 2 || !pair.at(0).is_string() ||
        !pair.at(1).is_string()) {
      return Malformed("\"tags\" holds something other than [key, value] string pairs");
    }
    if (!UnportableTagKey(pair.at(0).as_string()).empty()) {
      return Malformed("names a tag key the parsers refuse (\"" + pair.at(0).as_string() + "\")");
    }
    spec.tags.emplace_back(pair.at(0).as_string(), pair.at(1).as_string());
  }

  std::optional<int64_t> start = Int64Member(o, "start");
  std::optional<int64_t> stop = Int64Member(o, "stop");
  if (!start || !stop) return Malformed("\"start\" and \"stop\" must be integers of nanoseconds");
  if (*start < kMinTimeNs || *stop > kMaxTimeNs || *start > *stop) {
    return Malformed("[start, stop] is empty or outside InfluxDB's time range");
  }
  spec.start_ns = *start;
  spec.stop_ns = *stop;
  // Only a DELETE carries a time range: InfluxDB refuses DROP SERIES with one.
  if (spec.kind == DeleteSpec::Kind::kDropSeries &&
      (spec.start_ns != kMinTimeNs || spec.stop_ns != kMaxTimeNs)) {
    return Malformed("a dropSeries covers all time");
  }
  return spec;
}

}  // namespace edgerepl::deletes
