#include "operator/kube/resource.h"
#include "common/codec/base64.h"

#include <array>
#include <ctime>
#include <system_error>

namespace edgerepl::kube {
namespace {

const web::json::value& Null() {
  static const web::json::value kNull = web::json::value::null();
  return kNull;
}

web::json::value& EnsureObject(web::json::value& parent, const std::string& key) {
  if (!parent.is_object()) parent = web::json::value::object();
  web::json::value& child = parent[key];
  if (!child.is_object()) child = web::json::value::object();
  return child;
}

std::map<std::string, std::string> StringMap(const web::json::value& v) {
  std::map<std::string, std::string> out;
  if (!v.is_object()) return out;
  for (const auto& [k, val] : v.as_object()) {
    if (val.is_string()) out.emplace(k, val.as_string());
  }
  return out;
}

}  // namespace

std::string ResourceType::ApiVersion() const {
  return group.empty() ? version : group + "/" + version;
}

std::string ResourceType::GroupVersionPath() const {
  return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
}

std::string ResourceType::CollectionPath(std::string_view ns) const {
  std::string path = GroupVersionPath();
  if (namespaced && !ns.empty()) {
    path += "/namespaces/";
    path += ns;
  }
  path += "/" + plural;
  return path;
}

std::string ResourceType::ObjectPath(std::string_view ns, std::string_view name,
                                     std::string_view subresource) const {
  std::string path = CollectionPath(ns);
  path += "/";
  path += name;
  if (!subresource.empty()) {
    path += "/";
    path += subresource;
  }
  return path;
}

const ResourceType& SecretsType() {
  static const ResourceType kType{"", "v1", "secrets", "Secret", true};
  return kType;
}
const ResourceType& PodsType() {
  static const ResourceType kType{"", "v1", "pods", "Pod", true};
  return kType;
}
const ResourceType& EventsType() {
  static const ResourceType kType{"", "v1", "events", "Event", true};
  return kType;
}
const ResourceType& LeasesType() {
  static const ResourceType kType{"coordination.k8s.io", "v1", "leases", "Lease", true};
  return kType;
}
const ResourceType& CustomResourceDefinitionsType() {
  static const ResourceType kType{"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                                  "CustomResourceDefinition", false};
  return kType;
}

std::string MakeKey(std::string_view ns, std::string_view name) {
  if (ns.empty()) return std::string(name);
  std::string key(ns);
  key += "/";
  key += name;
  return key;
}

std::pair<std::string, std::string> SplitKey(std::string_view key) {
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) return {"", std::string(key)};
  return {std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

Result<Object> Object::Parse(std::string_view text) {
  std::error_code ec;
  web::json::value v = web::json::value::parse(std::string(text), ec);
  if (ec) return Status::InvalidArgument("invalid JSON: " + ec.message());
  if (!v.is_object()) return Status::InvalidArgument("JSON is not an object");
  return Object(std::move(v));
}

const web::json::value& Object::Field(const web::json::value& v, std::string_view key) {
  if (!v.is_object()) return Null();
  const auto& obj = v.as_object();
  auto it = obj.find(std::string(key));
  return it == obj.end() ? Null() : it->second;
}

std::string Object::StringField(const web::json::value& v, std::string_view key) {
  const web::json::value& f = Field(v, key);
  return f.is_string() ? f.as_string() : std::string();
}

std::optional<int64_t> Object::IntField(const web::json::value& v, std::string_view key) {
  const web::json::value& f = Field(v, key);
  if (!f.is_number() || !f.as_number().is_int64()) return std::nullopt;
  return f.as_number().to_int64();
}

std::optional<bool> Object::BoolField(const web::json::value& v, std::string_view key) {
  const web::json::value& f = Field(v, key);
  if (!f.is_boolean()) return std::nullopt;
  return f.as_bool();
}

std::string Object::api_version() const {
  return StringField(json_, "apiVersion");
}
std::string Object::kind() const {
  return StringField(json_, "kind");
}
std::string Object::name() const {
  return StringField(metadata(), "name");
}
std::string Object::namespace_() const {
  return StringField(metadata(), "namespace");
}
std::string Object::uid() const {
  return StringField(metadata(), "uid");
}
std::string Object::resource_version() const {
  return StringField(metadata(), "resourceVersion");
}
int64_t Object::generation() const {
  return IntField(metadata(), "generation").value_or(0);
}
std::optional<std::string> Object::deletion_timestamp() const {
  const web::json::value& f = Field(metadata(), "deletionTimestamp");
  if (!f.is_string()) return std::nullopt;
  return f.as_string();
}
std::map<std::string, std::string> Object::labels() const {
  return StringMap(Field(metadata(), "labels"));
}
std::map<std::string, std::string> Object::annotations() const {
  return StringMap(Field(metadata(), "annotations"));
}

void Object::set_name(std::string_view name) {
  EnsureObject(json_, "metadata")["name"] = web::json::value::string(std::string(name));
}
void Object::set_namespace(std::string_view ns) {
  EnsureObject(json_, "metadata")["namespace"] = web::json::value::string(std::string(ns));
}
void Object::set_resource_version(std::string_view rv) {
  EnsureObject(json_, "metadata")["resourceVersion"] = web::json::value::string(std::string(rv));
}
void Object::set_label(std::string_view key, std::string_view value) {
  EnsureObject(EnsureObject(json_, "metadata"), "labels")[std::string(key)] =
      web::json::value::string(std::string(value));
}
void Object::set_annotation(std::string_view key, std::string_view value) {
  EnsureObject(EnsureObject(json_, "metadata"), "annotations")[std::string(key)] =
      web::json::value::string(std::string(value));
}
void Object::set_type(const ResourceType& type) {
  if (!json_.is_object()) json_ = web::json::value::object();
  json_["apiVersion"] = web::json::value::string(type.ApiVersion());
  json_["kind"] = web::json::value::string(type.kind);
}

namespace secret {
std::optional<std::string> Data(const Object& secret, std::string_view key) {
  const web::json::value& v = Object::Field(Object::Field(secret.json(), "data"), key);
  if (!v.is_string()) return std::nullopt;
  return codec::Base64Decode(v.as_string());
}
void SetData(Object& secret, std::string_view key, std::string_view value) {
  EnsureObject(secret.json(), "data")[std::string(key)] =
      web::json::value::string(codec::Base64Encode(value));
}
}  // namespace secret

namespace pod {
std::string Phase(const Object& pod) {
  return Object::StringField(pod.status(), "phase");
}
std::string PodIP(const Object& pod) {
  return Object::StringField(pod.status(), "podIP");
}
bool IsReady(const Object& pod) {
  const web::json::value& conditions = Object::Field(pod.status(), "conditions");
  if (!conditions.is_array()) return false;
  for (const auto& c : conditions.as_array()) {
    if (Object::StringField(c, "type") == "Ready") {
      return Object::StringField(c, "status") == "True";
    }
  }
  return false;
}
}  // namespace pod

std::optional<std::chrono::system_clock::time_point> ParseTime(std::string_view text) {
  // RFC 3339 as the API writes it: "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)".
  std::string s(text);
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  int64_t micros = 0;
  if (*rest == '.') {
    ++rest;
    int digits = 0;
    while (*rest >= '0' && *rest <= '9') {
      if (digits < 6) {
        micros = micros * 10 + (*rest - '0');
        ++digits;
      }
      ++rest;
    }
    while (digits++ < 6) micros *= 10;
  }
  int64_t offset_s = 0;
  if (*rest == 'Z' || *rest == 'z') {
    ++rest;
  } else if (*rest == '+' || *rest == '-') {
    int sign = *rest == '-' ? -1 : 1;
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
    offset_s = sign * (hh * 3600 + mm * 60);
    rest += 6;
  } else {
    return std::nullopt;
  }
  if (*rest != '\0') return std::nullopt;
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset_s;
  return std::chrono::system_clock::time_point(std::chrono::microseconds(secs * 1000000 + micros));
}

}  // namespace edgerepl::kube
