#include "common/config/yaml_fields.h"

#include <charconv>

#include "common/config/duration.h"
#include "common/config/field_path.h"

namespace edgerepl::config::yaml {

std::string KindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "null";
    default:
      return "a scalar";
  }
}

std::string Got(const YAML::Node& n) {
  return n.IsScalar() ? "got " + Quoted(n.Scalar()) : "got " + KindName(n);
}

bool ParseUint(std::string_view s, uint64_t* v) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && ptr == s.data() + s.size();
}

void Errors::Add(const std::string& path, const std::string& message) {
  list_.push_back(path.empty() ? message : path + ": " + message);
}

void Errors::Unreadable(const std::string& path, const std::string& message) {
  Add(path, message);
  unread_.insert(path);
}

MapReader::MapReader(const YAML::Node& node, std::string path, Errors& errors)
    : path_(std::move(path)), errors_(errors) {
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) {
      errors_.Add(path_, "field names must be strings, " + Got(kv.first));
      continue;
    }
    const std::string& key = kv.first.Scalar();
    if (!fields_.emplace(key, kv.second).second) {
      errors_.Add(JoinPath(path_, key), "duplicate field");
    }
    order_.push_back(key);
  }
}

YAML::Node MapReader::Get(const std::string& key) {
  known_.insert(key);
  auto it = fields_.find(key);
  if (it == fields_.end()) return YAML::Node(YAML::NodeType::Null);
  return it->second;
}

bool MapReader::String(const std::string& key, std::string* out) {
  YAML::Node n = Get(key);
  if (n.IsNull()) return false;
  if (!n.IsScalar()) {
    errors_.Unreadable(PathOf(key), "expected a string, got " + KindName(n));
    return false;
  }
  *out = n.Scalar();
  return true;
}

void MapReader::Uint(const std::string& key, uint64_t* out) {
  YAML::Node n = Get(key);
  if (n.IsNull()) return;
  uint64_t v = 0;
  if (!n.IsScalar() || !ParseUint(n.Scalar(), &v)) {
    errors_.Unreadable(PathOf(key), "expected a non-negative integer, " + Got(n));
    return;
  }
  *out = v;
}

void MapReader::Uint32(const std::string& key, uint32_t* out) {
  uint64_t v = *out;
  Uint(key, &v);
  if (v > UINT32_MAX) {
    errors_.Unreadable(PathOf(key), "must be at most " + std::to_string(UINT32_MAX) + ", got " +
                                        std::to_string(v));
    return;
  }
  *out = static_cast<uint32_t>(v);
}

void MapReader::Bool(const std::string& key, bool* out) {
  YAML::Node n = Get(key);
  if (n.IsNull()) return;
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") {
      *out = true;
      return;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      *out = false;
      return;
    }
  }
  errors_.Unreadable(PathOf(key), "expected true or false, " + Got(n));
}

void MapReader::Duration(const std::string& key, std::chrono::milliseconds* out) {
  YAML::Node n = Get(key);
  if (n.IsNull()) return;
  std::optional<std::chrono::milliseconds> d;
  if (n.IsScalar()) d = ParseDuration(n.Scalar());
  if (!d) {
    errors_.Unreadable(PathOf(key),
                       "invalid duration, " + Got(n) + " (expected e.g. 250ms, 30s, 24h, 1h30m)");
    return;
  }
  *out = *d;
}

void MapReader::Finish() {
  for (const std::string& key : order_) {
    if (!known_.count(key)) errors_.Add(PathOf(key), "unknown field");
    known_.insert(key);  // a duplicate unknown key is reported once
  }
}

}  // namespace edgerepl::config::yaml
