// InfluxDB /query answers for the differential test, parsed by cpprestsdk and turned into a tree
// that keeps numbers as text, so an integer is compared exactly and a float by value.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgerepl::testing {

struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // number text or decoded string
  std::vector<Json> items;
  // Object members, keys[i] naming items[i] (two vectors: a pair cannot hold the incomplete Json).
  std::vector<std::string> keys;

  // The member named `key`, or nullptr.
  const Json* Get(std::string_view key) const;
};

// nullopt when `s` is not one complete JSON value.
std::optional<Json> ParseJson(std::string_view s);

}  // namespace edgerepl::testing
