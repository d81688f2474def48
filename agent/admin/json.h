// A minimal JSON writer for the admin API's few fixed shapes: strings are escaped per RFC 8259,
// numbers are written as C++ formats them. Objects and arrays are opened and closed by the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgerepl::admin {

// `s` as a quoted JSON string.
std::string JsonString(std::string_view s);

// RFC 3339 UTC with milliseconds, e.g. "2026-11-25T13:41:32.123Z".
std::string Rfc3339(std::chrono::system_clock::time_point t);

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  const std::string& str() const { return out_; }

 private:
  void Separate();
  std::string out_;
  bool need_comma_ = false;
};

}  // namespace edgerepl::admin
