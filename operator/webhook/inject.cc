#include "operator/webhook/inject.h"

#include <optional>

namespace edgerepl::webhook {
namespace {

using web::json::value;

std::optional<std::string> StringAt(const value& object, const char* section, const char* key) {
  if (!object.is_object() || !object.has_object_field(section)) return std::nullopt;
  const value& s = object.at(section);
  if (!s.has_string_field(key)) return std::nullopt;
  return s.at(key).as_string();
}

std::optional<std::string> Label(const value& o, const char* key) {
  if (!o.is_object() || !o.has_object_field("metadata")) return std::nullopt;
  return StringAt(o.at("metadata"), "labels", key);
}

std::optional<std::string> Annotation(const value& o, const char* key) {
  if (!o.is_object() || !o.has_object_field("metadata")) return std::nullopt;
  return StringAt(o.at("metadata"), "annotations", key);
}

value Op(const std::string& op, const std::string& path, value v) {
  value o = value::object();
  o["op"] = value::string(op);
  o["path"] = value::string(path);
  o["value"] = std::move(v);
  return o;
}

void Push(value& patch, value op) {
  patch[patch.size()] = std::move(op);
}

const value* Named(const value& list, const std::string& name) {
  if (!list.is_array()) return nullptr;
  for (const auto& item : list.as_array()) {
    if (item.is_object() && item.has_string_field("name") && item.at("name").as_string() == name) {
      return &item;
    }
  }
  return nullptr;
}

std::string PodName(const value& pod) {
  if (auto n = StringAt(pod, "metadata", "name"); n && !n->empty()) return *n;
  if (auto g = StringAt(pod, "metadata", "generateName"); g) return *g + "*";
  return "(unnamed)";
}

value SecretVolume(const std::string& secret) {
  value v = value::object();
  v["name"] = value::string(kConfigVolume);
  v["secret"] = value::object();
  v["secret"]["secretName"] = value::string(secret);
  // The pod starts before the first Replication of its namespace exists; the agent reloads when
  // the Secret appears.
  v["secret"]["optional"] = value::boolean(true);
  return v;
}

value PodInfoVolume() {
  value item = value::object();
  item["path"] = value::string("labels");
  item["fieldRef"] = value::object();
  item["fieldRef"]["fieldPath"] = value::string("metadata.labels");
  value v = value::object();
  v["name"] = value::string(kPodInfoVolume);
  v["downwardAPI"] = value::object();
  v["downwardAPI"]["items"] = value::array({item});
  return v;
}

}  // namespace

std::string PointerSegment(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

bool WantsInjection(const value& object) {
  return Label(object, kInjectKey) == "true" || Annotation(object, kInjectKey) == "true";
}

Result<Mutation> InjectPod(const value& pod, const SidecarTemplate& sidecar) {
  Mutation m;
  if (!WantsInjection(pod)) {
    m.skipped = "no edgerepl.io/inject=\"true\" label or annotation";
    return m;
  }
  if (!pod.has_object_field("spec") || !pod.at("spec").has_array_field("containers")) {
    return Status::InvalidArgument("pod " + PodName(pod) + ": spec.containers: missing");
  }
  const value& spec = pod.at("spec");
  if (Named(spec.at("containers"), kContainerName) != nullptr) {
    m.skipped = "already has a container named edgerepl-agent";
    return m;
  }
  const value no_volumes = value::array();
  const value& volumes = spec.has_array_field("volumes") ? spec.at("volumes") : no_volumes;
  for (const char* taken : {kConfigVolume, kPodInfoVolume, kQueueVolume}) {
    if (Named(volumes, taken) != nullptr) {
      return Status::InvalidArgument("pod " + PodName(pod) + ": spec.volumes: \"" + taken +
                                     "\" is taken, but there is no edgerepl-agent container; "
                                     "rename the volume or add the sidecar by hand "
                                     "(docs/sidecar.md)");
    }
  }

  value container = sidecar.container;
  std::vector<value> new_volumes = {SecretVolume(sidecar.config_secret), PodInfoVolume()};
  // The queue: an existing volume, a named claim, or an emptyDir with a warning.
  std::optional<std::string> queue_volume = Annotation(pod, kQueueVolumeAnnotation);
  std::optional<std::string> queue_claim = Annotation(pod, kQueueClaimAnnotation);
  std::optional<std::string> sub_path = Annotation(pod, kQueueSubPathAnnotation);
  std::string queue_mount_name = kQueueVolume;
  if (queue_volume && !queue_volume->empty()) {
    if (Named(volumes, *queue_volume) == nullptr) {
      return Status::InvalidArgument(
          "pod " + PodName(pod) + ": annotation " + kQueueVolumeAnnotation + ": the pod has no " +
          "volume \"" + *queue_volume +
          "\" (for a StatefulSet, name one of its volumeClaimTemplates)");
    }
    queue_mount_name = *queue_volume;
  } else if (queue_claim && !queue_claim->empty()) {
    value v = value::object();
    v["name"] = value::string(kQueueVolume);
    v["persistentVolumeClaim"] = value::object();
    v["persistentVolumeClaim"]["claimName"] = value::string(*queue_claim);
    new_volumes.push_back(v);
  } else {
    value v = value::object();
    v["name"] = value::string(kQueueVolume);
    v["emptyDir"] = value::object();
    new_volumes.push_back(v);
    m.ephemeral_queue = true;
    m.warnings.push_back(
        std::string("edgerepl: pod ") + PodName(pod) +
        ": the replication queue is an emptyDir and unsent data is lost with the pod; name a "
        "volume (annotation " +
        kQueueVolumeAnnotation + ") or a claim (" + kQueueClaimAnnotation + ") for it");
  }
  for (auto& mount : container.at("volumeMounts").as_array()) {
    if (mount.has_string_field("name") && mount.at("name").as_string() == kQueueVolume) {
      mount["name"] = value::string(queue_mount_name);
      if (sub_path && !sub_path->empty()) mount["subPath"] = value::string(*sub_path);
    }
  }

  Push(m.patch, Op("add", "/spec/containers/-", container));
  if (!spec.has_array_field("volumes")) {
    Push(m.patch, Op("add", "/spec/volumes", value::array(new_volumes)));
  } else {
    for (auto& v : new_volumes) Push(m.patch, Op("add", "/spec/volumes/-", v));
  }
  const value& meta = pod.at("metadata");
  if (!meta.has_object_field("annotations")) {
    value a = value::object();
    a[kInjectedAnnotation] = value::string("true");
    Push(m.patch, Op("add", "/metadata/annotations", a));
  } else {
    Push(m.patch,
         Op("add", std::string("/metadata/annotations/") + PointerSegment(kInjectedAnnotation),
            value::string("true")));
  }
  // The operator finds agents by this label (DESIGN §9). It is only added: a pod whose
  // controller selects on another value of it would be orphaned by a rewrite.
  std::optional<std::string> component = Label(pod, kComponentLabel);
  if (!meta.has_object_field("labels")) {
    value l = value::object();
    l[kComponentLabel] = value::string("edgerepl-agent");
    Push(m.patch, Op("add", "/metadata/labels", l));
  } else if (!component) {
    Push(m.patch, Op("add", std::string("/metadata/labels/") + PointerSegment(kComponentLabel),
                     value::string("edgerepl-agent")));
  } else if (*component != "edgerepl-agent") {
    m.warnings.push_back(std::string("edgerepl: pod ") + PodName(pod) + ": its label " +
                         kComponentLabel + "=" + *component +
                         " is kept, so the operator does not poll this agent's status "
                         "(it looks for edgerepl-agent)");
  }
  return m;
}

Result<Mutation> RetargetService(const value& service) {
  Mutation m;
  if (!WantsInjection(service)) {
    m.skipped = "no edgerepl.io/inject=\"true\" label or annotation";
    return m;
  }
  std::string from = Annotation(service, kTargetPortAnnotation).value_or("8086");
  if (!service.has_object_field("spec") || !service.at("spec").has_array_field("ports")) {
    m.skipped = "no ports";
    return m;
  }
  const auto& ports = service.at("spec").at("ports").as_array();
  bool matched = false;
  for (size_t i = 0; i < ports.size(); ++i) {
    const value& p = ports.at(i);
    std::string target;
    if (p.has_field("targetPort")) {
      const value& t = p.at("targetPort");
      target = t.is_number() ? std::to_string(t.as_integer()) : t.is_string() ? t.as_string() : "";
    } else if (p.has_number_field("port")) {
      target = std::to_string(p.at("port").as_integer());  // targetPort defaults to port
    }
    if (target == kWritePortName) {
      matched = true;
      continue;
    }
    if (target != from) continue;
    matched = true;
    Push(m.patch,
         Op(p.has_field("targetPort") ? "replace" : "add",
            "/spec/ports/" + std::to_string(i) + "/targetPort", value::string(kWritePortName)));
  }
  if (!matched) {
    m.warnings.push_back("edgerepl: no port of this Service targets " + from +
                         ", so writes do not pass through the agent; set the annotation " +
                         kTargetPortAnnotation + " to the InfluxDB port the Service targets");
  }
  if (m.patch.size() == 0 && m.warnings.empty()) m.skipped = "already targets edgerepl-write";
  return m;
}

}  // namespace edgerepl::webhook
