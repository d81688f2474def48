#include "operator/model/json_fields.h"

namespace edgerepl::op {

std::string JoinErrors(const FieldErrors& errors) {
  std::string out;
  for (const FieldError& e : errors) {
    if (!out.empty()) out += "; ";
    out += e.ToString();
  }
  return out;
}

JsonFields::JsonFields(const web::json::value* object, std::string path, FieldErrors* errors)
    : object_(nullptr), path_(std::move(path)), errors_(errors) {
  if (object == nullptr || object->is_null()) return;
  if (!object->is_object()) {
    errors_->push_back({path_, "expected an object"});
    return;
  }
  object_ = object;
}

std::string JsonFields::PathOf(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

const web::json::value* JsonFields::Get(const std::string& key) const {
  if (object_ == nullptr) return nullptr;
  const web::json::object& obj = object_->as_object();
  auto it = obj.find(key);
  if (it == obj.end() || it->second.is_null()) return nullptr;
  return &it->second;
}

bool JsonFields::Has(const std::string& key) const {
  return Get(key) != nullptr;
}

void JsonFields::TypeError(const std::string& key, const char* expected) {
  errors_->push_back({PathOf(key), std::string("expected ") + expected});
}

bool JsonFields::String(const std::string& key, std::string* out) {
  const web::json::value* v = Get(key);
  if (v == nullptr) return false;
  if (!v->is_string()) {
    TypeError(key, "a string");
    return false;
  }
  *out = v->as_string();
  return true;
}

bool JsonFields::Bool(const std::string& key, bool* out) {
  const web::json::value* v = Get(key);
  if (v == nullptr) return false;
  if (!v->is_boolean()) {
    TypeError(key, "true or false");
    return false;
  }
  *out = v->as_bool();
  return true;
}

bool JsonFields::Int(const std::string& key, int64_t* out) {
  const web::json::value* v = Get(key);
  if (v == nullptr) return false;
  if (!v->is_number() || !v->as_number().is_integral() || !v->as_number().is_int64()) {
    TypeError(key, "an integer");
    return false;
  }
  *out = v->as_number().to_int64();
  return true;
}

bool JsonFields::StringList(const std::string& key, std::vector<std::string>* out) {
  const web::json::value* v = Get(key);
  if (v == nullptr) return false;
  if (!v->is_array()) {
    TypeError(key, "a list of strings");
    return false;
  }
  std::vector<std::string> list;
  const web::json::array& arr = v->as_array();
  for (size_t i = 0; i < arr.size(); ++i) {
    if (!arr.at(i).is_string()) {
      errors_->push_back({PathOf(key) + "[" + std::to_string(i) + "]", "expected a string"});
      return false;
    }
    list.push_back(arr.at(i).as_string());
  }
  *out = std::move(list);
  return true;
}

bool JsonFields::StringMap(const std::string& key, std::map<std::string, std::string>* out) {
  const web::json::value* v = Get(key);
  if (v == nullptr) return false;
  if (!v->is_object()) {
    TypeError(key, "a map of strings");
    return false;
  }
  std::map<std::string, std::string> map;
  for (const auto& [k, val] : v->as_object()) {
    if (!val.is_string()) {
      errors_->push_back({PathOf(key) + "." + k, "expected a string"});
      return false;
    }
    map.emplace(k, val.as_string());
  }
  *out = std::move(map);
  return true;
}

JsonFields JsonFields::Object(const std::string& key) {
  return JsonFields(Get(key), PathOf(key), errors_);
}

}  // namespace edgerepl::op
