#include "operator/cluster/api_writer.h"

namespace edgerepl::op {

Result<std::optional<web::json::value>> ApiWriter::GetSecret(const std::string& ns,
                                                             const std::string& name) {
  Result<web::json::value> s = api_.Get(ObjectPath("v1", "secrets", ns, name));
  if (s.ok()) return std::optional<web::json::value>(std::move(*s));
  if (s.status().code() == StatusCode::kNotFound) return std::optional<web::json::value>();
  return s.status();
}

Status ApiWriter::CreateSecret(const std::string& ns, const web::json::value& secret) {
  return api_.Create(CollectionPath("v1", "secrets", ns), secret).status();
}

Status ApiWriter::UpdateSecret(const std::string& ns, const web::json::value& secret) {
  return api_
      .Update(ObjectPath("v1", "secrets", ns, secret.at("metadata").at("name").as_string()), secret)
      .status();
}

Status ApiWriter::PatchStatus(Kind kind, const std::string& ns, const std::string& name,
                              const web::json::value& patch) {
  const char* plural = kind == Kind::kRemote ? "remotes" : "replications";
  return api_.MergePatch(ObjectPath("edgerepl.io/v1alpha1", plural, ns, name) + "/status", patch)
      .status();
}

Status ApiWriter::CreateEvent(const std::string& ns, const web::json::value& event) {
  return api_.Create(CollectionPath("v1", "events", ns), event).status();
}

}  // namespace edgerepl::op
