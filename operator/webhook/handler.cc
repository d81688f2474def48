// spdlog (fmt) before cpprest: cpprest's U() macro breaks fmt's templates.
#include <spdlog/spdlog.h>

#include "operator/webhook/handler.h"

#include "operator/kube/resource.h"

namespace edgerepl::webhook {
namespace {

httpserver::Response Json(int status, std::string body) {
  httpserver::Response r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = std::move(body);
  return r;
}

std::string ObjectName(const AdmissionRequest& r) {
  std::string name = kube::Object::StringField(kube::Object::Field(r.object, "metadata"), "name");
  if (name.empty()) {
    name = kube::Object::StringField(kube::Object::Field(r.object, "metadata"), "generateName");
  }
  return r.namespace_ + "/" + name;
}

}  // namespace

httpserver::Handler MakeHandler(SidecarTemplate sidecar, EphemeralQueueHook on_ephemeral_queue) {
  return [sidecar = std::move(sidecar),
          hook = std::move(on_ephemeral_queue)](const httpserver::Request& in) {
    if (in.path == "/healthz") return Json(200, "{\"status\":\"ok\"}");
    if (in.method != "POST" || (in.path != kPodsPath && in.path != kServicesPath)) {
      return Json(404, "{\"message\":\"not found\"}");
    }
    Result<AdmissionRequest> req = ParseAdmissionReview(in.body);
    if (!req.ok()) {
      spdlog::warn("webhook {}: {}", in.path, req.status().message());
      web::json::value e = web::json::value::object();
      e["message"] = web::json::value::string(req.status().message());
      return Json(400, e.serialize());
    }
    const bool pods = in.path == kPodsPath;
    AdmissionDecision decision;
    // A configuration that sends other kinds or operations here is answered without a change.
    const bool applies = req->operation == "CREATE" && req->kind == (pods ? "Pod" : "Service");
    if (applies) {
      Result<Mutation> m = pods ? InjectPod(req->object, sidecar) : RetargetService(req->object);
      if (!m.ok()) {
        decision.allowed = false;
        decision.message = m.status().message();
        spdlog::warn("webhook refused {} {}: {}", req->kind, ObjectName(*req), decision.message);
      } else {
        decision.patch = m->patch;
        decision.warnings = m->warnings;
        if (m->skipped.empty()) {
          spdlog::info("webhook mutated {} {} ({} patch operations)", req->kind, ObjectName(*req),
                       m->patch.size());
        } else {
          spdlog::debug("webhook left {} {} alone: {}", req->kind, ObjectName(*req), m->skipped);
        }
        if (m->ephemeral_queue && !req->dry_run && hook) hook(*req, m->warnings.front());
      }
    }
    return Json(200, AdmissionResponse(*req, decision));
  };
}

}  // namespace edgerepl::webhook
