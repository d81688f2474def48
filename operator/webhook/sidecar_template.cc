#include "operator/webhook/sidecar_template.h"

#include <fstream>
#include <sstream>

namespace edgerepl::webhook {
namespace {

bool HasNamed(const web::json::value& list, std::string_view name) {
  if (!list.is_array()) return false;
  for (const auto& item : list.as_array()) {
    if (item.is_object() && item.has_string_field("name") && item.at("name").as_string() == name) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<SidecarTemplate> ParseSidecarTemplate(std::string_view text) {
  web::json::value doc;
  try {
    doc = web::json::value::parse(std::string(text));
  } catch (const web::json::json_exception& e) {
    return Status::InvalidArgument(std::string("sidecar template: not JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.has_object_field("container")) {
    return Status::InvalidArgument("sidecar template: container: missing (an object)");
  }
  SidecarTemplate t;
  t.container = doc.at("container");
  const auto& c = t.container;
  if (!c.has_string_field("name") || c.at("name").as_string() != kContainerName) {
    return Status::InvalidArgument(std::string("sidecar template: container.name: must be \"") +
                                   kContainerName + "\"");
  }
  if (!c.has_string_field("image") || c.at("image").as_string().empty()) {
    return Status::InvalidArgument("sidecar template: container.image: missing");
  }
  if (!c.has_array_field("ports") || !HasNamed(c.at("ports"), kWritePortName)) {
    return Status::InvalidArgument(
        std::string("sidecar template: container.ports: no port named ") + kWritePortName);
  }
  for (const char* volume : {kQueueVolume, kConfigVolume, kPodInfoVolume}) {
    if (!c.has_array_field("volumeMounts") || !HasNamed(c.at("volumeMounts"), volume)) {
      return Status::InvalidArgument(
          std::string("sidecar template: container.volumeMounts: no mount of ") + volume);
    }
  }
  if (doc.has_field("configSecret")) {
    if (!doc.at("configSecret").is_string() || doc.at("configSecret").as_string().empty()) {
      return Status::InvalidArgument("sidecar template: configSecret: must be a non-empty string");
    }
    t.config_secret = doc.at("configSecret").as_string();
  }
  return t;
}

Result<SidecarTemplate> LoadSidecarTemplate(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("--webhook-sidecar-file: cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  Result<SidecarTemplate> t = ParseSidecarTemplate(text.str());
  if (!t.ok()) return Status::InvalidArgument(path + ": " + t.status().message());
  return t;
}

}  // namespace edgerepl::webhook
