// Kubernetes objects as JSON with typed accessors for the metadata every controller reads, and the
// description of a resource type (group, version, plural) that REST paths are built from. No schema
// is compiled in: custom resources and built-in kinds are handled alike.
#pragma once

#include <cpprest/json.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace edgerepl::kube {

// A resource type as the API serves it. Core kinds have group "" (paths under /api/v1).
struct ResourceType {
  std::string group;    // "" for core, e.g. "edgerepl.io", "coordination.k8s.io"
  std::string version;  // "v1", "v1alpha1"
  std::string plural;   // "secrets", "replications"
  std::string kind;     // "Secret", "Replication" (written into created objects' apiVersion/kind)
  bool namespaced = true;

  // "v1" or "edgerepl.io/v1alpha1".
  std::string ApiVersion() const;
  // "/api/v1" or "/apis/<group>/<version>".
  std::string GroupVersionPath() const;
  // Collection path; `ns` empty means across all namespaces (or a cluster-scoped type).
  std::string CollectionPath(std::string_view ns) const;
  // Object path, with an optional subresource ("status").
  std::string ObjectPath(std::string_view ns, std::string_view name,
                         std::string_view subresource = {}) const;
};

// The types the operator and its leader election use.
const ResourceType& SecretsType();
const ResourceType& PodsType();
const ResourceType& EventsType();  // core/v1 Events
const ResourceType& LeasesType();  // coordination.k8s.io/v1
const ResourceType& CustomResourceDefinitionsType();

// "namespace/name", or "name" for cluster-scoped objects (client-go's MetaNamespaceKey).
std::string MakeKey(std::string_view ns, std::string_view name);
// Splits a key made by MakeKey.
std::pair<std::string, std::string> SplitKey(std::string_view key);

// One object. Copying copies the JSON; share read-only objects through ObjectPtr.
class Object {
 public:
  Object() : json_(web::json::value::object()) {}
  explicit Object(web::json::value json) : json_(std::move(json)) {}

  // Parses a JSON object; kInvalidArgument when the text is not one.
  static Result<Object> Parse(std::string_view text);

  const web::json::value& json() const { return json_; }
  web::json::value& json() { return json_; }
  std::string Serialize() const { return json_.serialize(); }

  // metadata; empty / 0 / nullopt when absent.
  std::string api_version() const;
  std::string kind() const;
  std::string name() const;
  std::string namespace_() const;
  std::string uid() const;
  std::string resource_version() const;
  int64_t generation() const;
  std::optional<std::string> deletion_timestamp() const;
  std::map<std::string, std::string> labels() const;
  std::map<std::string, std::string> annotations() const;
  std::string Key() const { return MakeKey(namespace_(), name()); }

  void set_name(std::string_view name);
  void set_namespace(std::string_view ns);
  void set_resource_version(std::string_view rv);
  void set_label(std::string_view key, std::string_view value);
  void set_annotation(std::string_view key, std::string_view value);
  void set_type(const ResourceType& type);  // apiVersion and kind

  // Members of top-level sections; a null JSON value when absent.
  const web::json::value& metadata() const { return Field(json_, "metadata"); }
  const web::json::value& spec() const { return Field(json_, "spec"); }
  const web::json::value& status() const { return Field(json_, "status"); }

  // Null when `v` is not an object or lacks `key`: lookups never throw.
  static const web::json::value& Field(const web::json::value& v, std::string_view key);
  static std::string StringField(const web::json::value& v, std::string_view key);
  static std::optional<int64_t> IntField(const web::json::value& v, std::string_view key);
  static std::optional<bool> BoolField(const web::json::value& v, std::string_view key);

 private:
  web::json::value json_;
};
using ObjectPtr = std::shared_ptr<const Object>;

// Typed accessors for the built-in kinds the operator reads.
namespace secret {
// The base64-decoded value of data[key]; nullopt when absent or not valid base64.
std::optional<std::string> Data(const Object& secret, std::string_view key);
// Sets data[key] to base64(value).
void SetData(Object& secret, std::string_view key, std::string_view value);
}  // namespace secret

namespace pod {
std::string Phase(const Object& pod);  // status.phase
std::string PodIP(const Object& pod);  // status.podIP
// status.conditions[type=Ready].status == "True".
bool IsReady(const Object& pod);
}  // namespace pod

// RFC 3339 as the API writes metav1.Time and MicroTime (written by codec::FormatRfc3339).
std::optional<std::chrono::system_clock::time_point> ParseTime(std::string_view text);

}  // namespace edgerepl::kube
