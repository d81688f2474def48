// Reading the fields of a YAML map into typed values, with every failure named by its field path.
// Only what the text says is checked here (types, known keys, syntax of durations and
// integers); the rules on the values are validate.h's, which a Config built in code meets too.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/config/field_path.h"

namespace edgerepl::config::yaml {

std::string KindName(const YAML::Node& n);
// Describes a wrong value without echoing secrets: scalars are quoted, other kinds named.
std::string Got(const YAML::Node& n);
bool ParseUint(std::string_view s, uint64_t* v);

// The errors of one read, in document order, and the fields that could not be read: those hold
// their defaults, not what the file said, so no rule is applied to them.
class Errors {
 public:
  void Add(const std::string& path, const std::string& message);
  // Add, and mark `path` unread.
  void Unreadable(const std::string& path, const std::string& message);
  void MarkUnread(const std::string& path) { unread_.insert(path); }
  std::vector<std::string>& list() { return list_; }
  const std::set<std::string>& unread() const { return unread_; }

 private:
  std::vector<std::string> list_;
  std::set<std::string> unread_;
};

// Reads the fields of one map, remembering which keys were consumed so that Finish() can report
// the rest as unknown fields. Each typed getter leaves *out unchanged when the key is absent.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, Errors& errors);

  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const { return JoinPath(path_, key); }

  // The value of `key`, or a null node when absent or explicitly null. Marks the key as known.
  YAML::Node Get(const std::string& key);

  // Whether a string was read.
  bool String(const std::string& key, std::string* out);
  void Uint(const std::string& key, uint64_t* out);
  void Uint32(const std::string& key, uint32_t* out);
  void Bool(const std::string& key, bool* out);
  void Duration(const std::string& key, std::chrono::milliseconds* out);

  template <typename E>
  void Enum(const std::string& key, E* out, const std::vector<std::pair<std::string, E>>& values) {
    YAML::Node n = Get(key);
    if (n.IsNull()) return;
    if (n.IsScalar()) {
      for (const auto& [name, value] : values) {
        if (n.Scalar() == name) {
          *out = value;
          return;
        }
      }
    }
    std::string expected;
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) expected += i + 1 == values.size() ? " or " : ", ";
      expected += values[i].first;
    }
    errors_.Unreadable(PathOf(key), "unknown value, " + Got(n) + " (expected " + expected + ")");
  }

  // Reports the keys no getter asked for.
  void Finish();

 private:
  std::string path_;
  Errors& errors_;
  std::map<std::string, YAML::Node> fields_;
  std::vector<std::string> order_;
  std::set<std::string> known_;
};

}  // namespace edgerepl::config::yaml
