// A minimal JSON writer for the admin API's few fixed shapes: strings are escaped per RFC 8259 by
// codec::AppendJsonString, numbers are written as C++ formats them. Objects and arrays are opened
// and closed by the caller.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace edgerepl::admin {

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
