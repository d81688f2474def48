#include "tests/integration/lineprotocol/mini_json.h"

#include <cpprest/json.h>

#include <cstdio>

namespace edgerepl::testing {
namespace {

// Numbers become text: integers exactly (int64 or uint64), floats with enough digits to read back
// to the same double.
std::string NumberText(const web::json::number& n) {
  if (n.is_int64()) return std::to_string(n.to_int64());
  if (n.is_uint64()) return std::to_string(n.to_uint64());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", n.to_double());
  return buf;
}

Json Convert(const web::json::value& v) {
  Json j;
  switch (v.type()) {
    case web::json::value::Null:
      break;
    case web::json::value::Boolean:
      j.kind = Json::Kind::kBool;
      j.boolean = v.as_bool();
      break;
    case web::json::value::Number:
      j.kind = Json::Kind::kNumber;
      j.text = NumberText(v.as_number());
      break;
    case web::json::value::String:
      j.kind = Json::Kind::kString;
      j.text = v.as_string();
      break;
    case web::json::value::Array:
      j.kind = Json::Kind::kArray;
      for (const web::json::value& item : v.as_array()) j.items.push_back(Convert(item));
      break;
    case web::json::value::Object:
      j.kind = Json::Kind::kObject;
      for (const auto& [key, item] : v.as_object()) {
        j.keys.push_back(key);
        j.items.push_back(Convert(item));
      }
      break;
  }
  return j;
}

}  // namespace

const Json* Json::Get(std::string_view key) const {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return &items[i];
  }
  return nullptr;
}

std::optional<Json> ParseJson(std::string_view s) {
  std::error_code error;
  web::json::value v = web::json::value::parse(std::string(s), error);
  if (error) return std::nullopt;
  return Convert(v);
}

}  // namespace edgerepl::testing
