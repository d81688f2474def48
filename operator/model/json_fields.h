// Typed reads of JSON object fields that record a FieldError naming the path when a field has the
// wrong type, so a resource decoded from the API (where a cluster may lack schema enforcement, or
// a CRD was applied without defaults) never throws and always says which field is wrong.
#pragma once

#include <cpprest/json.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/model/field_error.h"

namespace edgerepl::op {

class JsonFields {
 public:
  // `object` may be null or not an object: every field then reads as absent (an error is
  // recorded when the value exists but is not an object).
  JsonFields(const web::json::value* object, std::string path, FieldErrors* errors);

  const std::string& path() const { return path_; }
  std::string PathOf(const std::string& key) const;
  bool Has(const std::string& key) const;
  const web::json::value* Get(const std::string& key) const;  // nullptr when absent or null

  // Each reads the field into *out when present with the right type and returns true; leaves
  // *out unchanged when absent (false), and records an error when the type is wrong (false).
  bool String(const std::string& key, std::string* out);
  bool Bool(const std::string& key, bool* out);
  bool Int(const std::string& key, int64_t* out);
  bool StringList(const std::string& key, std::vector<std::string>* out);
  bool StringMap(const std::string& key, std::map<std::string, std::string>* out);
  // A nested object's reader (absent: a reader over nothing).
  JsonFields Object(const std::string& key);

 private:
  void TypeError(const std::string& key, const char* expected);

  const web::json::value* object_;
  std::string path_;
  FieldErrors* errors_;
};

}  // namespace edgerepl::op
