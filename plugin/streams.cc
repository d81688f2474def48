#include "plugin/streams.h"

#include <cpprest/json.h>

#include <algorithm>
#include <cmath>

namespace edgerepl::plugin {
namespace {

using web::json::value;

std::string Str(const value& o, const char* key) {
  return o.has_string_field(key) ? o.at(key).as_string() : "";
}

std::string OrDash(const std::string& s) {
  return s.empty() ? "-" : s;
}

}  // namespace

Result<std::vector<StreamRow>> ParseAgentStatus(std::string_view body, const std::string& ns,
                                                const std::string& pod) {
  value doc;
  try {
    doc = value::parse(std::string(body));
  } catch (const web::json::json_exception& e) {
    return Status::InvalidArgument("the agent's /api/v1/replications is not JSON: " +
                                   std::string(e.what()));
  }
  if (!doc.is_object() || !doc.has_array_field("replications")) {
    return Status::InvalidArgument("the agent's /api/v1/replications: replications: missing");
  }
  std::vector<StreamRow> rows;
  const auto& list = doc.at("replications").as_array();
  for (size_t i = 0; i < list.size(); ++i) {
    const value& r = list.at(i);
    if (!r.is_object() || !r.has_string_field("id")) {
      return Status::InvalidArgument("the agent's /api/v1/replications: replications[" +
                                     std::to_string(i) + "].id: missing");
    }
    StreamRow row;
    row.namespace_ = ns;
    row.pod = pod;
    row.id = Str(r, "id");
    row.name = Str(r, "name");
    row.org = Str(r, "localOrg");
    row.remote = Str(r, "remote");
    row.local_bucket = Str(r, "localBucket");
    if (row.local_bucket.empty()) row.local_bucket = Str(r, "localBucketID");
    row.remote_bucket = Str(r, "remoteBucket");
    if (row.remote_bucket.empty()) row.remote_bucket = Str(r, "remoteBucketID");
    if (r.has_number_field("currentQueueSizeBytes")) {
      row.current_queue_bytes = r.at("currentQueueSizeBytes").as_number().to_uint64();
    }
    if (r.has_number_field("maxQueueSizeBytes")) {
      row.max_queue_bytes = r.at("maxQueueSizeBytes").as_number().to_uint64();
    }
    if (r.has_number_field("latestResponseCode")) {
      row.latest_status_code = r.at("latestResponseCode").as_integer();
    }
    row.state = Str(r, "state");
    if (r.has_number_field("oldestPendingAgeSeconds")) {
      row.lag_seconds = r.at("oldestPendingAgeSeconds").as_double();
    }
    if (r.has_object_field("backfill")) row.backfill_json = r.at("backfill").serialize();
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string FormatLag(double seconds) {
  if (!(seconds > 0)) return "0s";
  auto s = static_cast<uint64_t>(std::floor(seconds));
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) {
    return std::to_string(s / 60) + "m" + (s % 60 ? std::to_string(s % 60) + "s" : "");
  }
  if (s < 86400) {
    return std::to_string(s / 3600) + "h" +
           (s % 3600 / 60 ? std::to_string(s % 3600 / 60) + "m" : "");
  }
  return std::to_string(s / 86400) + "d" +
         (s % 86400 / 3600 ? std::to_string(s % 86400 / 3600) + "h" : "");
}

std::string FormatTable(const std::vector<StreamRow>& rows, bool all_namespaces) {
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header = {"POD",
                                     "ID",
                                     "NAME",
                                     "ORG",
                                     "REMOTE",
                                     "LOCAL BUCKET",
                                     "REMOTE BUCKET",
                                     "CURRENT QUEUE BYTES",
                                     "MAX QUEUE BYTES",
                                     "LATEST STATUS CODE",
                                     "STATE",
                                     "LAG"};
  if (all_namespaces) header.insert(header.begin(), "NAMESPACE");
  table.push_back(header);
  for (const StreamRow& r : rows) {
    std::vector<std::string> line = {r.pod,
                                     r.id,
                                     OrDash(r.name),
                                     OrDash(r.org),
                                     OrDash(r.remote),
                                     OrDash(r.local_bucket),
                                     OrDash(r.remote_bucket),
                                     std::to_string(r.current_queue_bytes),
                                     std::to_string(r.max_queue_bytes),
                                     std::to_string(r.latest_status_code),
                                     OrDash(r.state),
                                     FormatLag(r.lag_seconds)};
    if (all_namespaces) line.insert(line.begin(), r.namespace_);
    table.push_back(std::move(line));
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& line : table) {
    for (size_t c = 0; c < line.size(); ++c) width[c] = std::max(width[c], line[c].size());
  }
  std::string out;
  for (const auto& line : table) {
    std::string text;
    for (size_t c = 0; c < line.size(); ++c) {
      text += line[c];
      if (c + 1 < line.size()) text += std::string(width[c] - line[c].size() + 3, ' ');
    }
    out += text + "\n";
  }
  return out;
}

std::string FormatJson(const std::vector<StreamRow>& rows, const std::vector<PodError>& errors) {
  value streams = value::array();
  for (size_t i = 0; i < rows.size(); ++i) {
    const StreamRow& r = rows[i];
    value o = value::object();
    o["namespace"] = value::string(r.namespace_);
    o["pod"] = value::string(r.pod);
    o["id"] = value::string(r.id);
    o["name"] = value::string(r.name);
    o["localOrg"] = value::string(r.org);
    o["remote"] = value::string(r.remote);
    o["localBucket"] = value::string(r.local_bucket);
    o["remoteBucket"] = value::string(r.remote_bucket);
    o["currentQueueSizeBytes"] = value::number(r.current_queue_bytes);
    o["maxQueueSizeBytes"] = value::number(r.max_queue_bytes);
    o["latestResponseCode"] = value::number(r.latest_status_code);
    o["state"] = value::string(r.state);
    o["oldestPendingAgeSeconds"] = value::number(r.lag_seconds);
    if (!r.backfill_json.empty()) o["backfill"] = value::parse(r.backfill_json);
    streams[i] = o;
  }
  value errs = value::array();
  for (size_t i = 0; i < errors.size(); ++i) {
    value o = value::object();
    o["namespace"] = value::string(errors[i].namespace_);
    o["pod"] = value::string(errors[i].pod);
    o["message"] = value::string(errors[i].message);
    errs[i] = o;
  }
  value doc = value::object();
  doc["streams"] = streams;
  doc["errors"] = errs;
  return doc.serialize() + "\n";
}

}  // namespace edgerepl::plugin
