#include "operator/webhook/admission.h"

#include "common/codec/base64.h"

namespace edgerepl::webhook {

using web::json::value;

Result<AdmissionRequest> ParseAdmissionReview(std::string_view body) {
  value doc;
  try {
    doc = value::parse(std::string(body));
  } catch (const web::json::json_exception& e) {
    return Status::InvalidArgument(std::string("AdmissionReview: not JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.has_string_field("apiVersion")) {
    return Status::InvalidArgument("AdmissionReview: apiVersion: missing");
  }
  AdmissionRequest r;
  r.api_version = doc.at("apiVersion").as_string();
  if (r.api_version != "admission.k8s.io/v1" && r.api_version != "admission.k8s.io/v1beta1") {
    return Status::InvalidArgument("AdmissionReview: apiVersion: \"" + r.api_version +
                                   "\" is neither admission.k8s.io/v1 nor v1beta1");
  }
  if (!doc.has_string_field("kind") || doc.at("kind").as_string() != "AdmissionReview") {
    return Status::InvalidArgument("AdmissionReview: kind: must be AdmissionReview");
  }
  if (!doc.has_object_field("request")) {
    return Status::InvalidArgument("AdmissionReview: request: missing");
  }
  const value& req = doc.at("request");
  if (!req.has_string_field("uid") || req.at("uid").as_string().empty()) {
    return Status::InvalidArgument("AdmissionReview: request.uid: missing");
  }
  r.uid = req.at("uid").as_string();
  if (req.has_object_field("kind") && req.at("kind").has_string_field("kind")) {
    r.kind = req.at("kind").at("kind").as_string();
  }
  if (req.has_string_field("operation")) r.operation = req.at("operation").as_string();
  if (req.has_string_field("namespace")) r.namespace_ = req.at("namespace").as_string();
  if (req.has_boolean_field("dryRun")) r.dry_run = req.at("dryRun").as_bool();
  if (!req.has_object_field("object")) {
    return Status::InvalidArgument("AdmissionReview: request.object: missing");
  }
  r.object = req.at("object");
  return r;
}

std::string AdmissionResponse(const AdmissionRequest& request, const AdmissionDecision& decision) {
  value resp = value::object();
  resp["uid"] = value::string(request.uid);
  resp["allowed"] = value::boolean(decision.allowed);
  if (!decision.allowed) {
    resp["status"] = value::object();
    resp["status"]["code"] = value::number(400);
    resp["status"]["reason"] = value::string("BadRequest");
    resp["status"]["message"] = value::string(decision.message);
  } else if (decision.patch.is_array() && decision.patch.size() > 0) {
    resp["patchType"] = value::string("JSONPatch");
    resp["patch"] = value::string(codec::Base64Encode(decision.patch.serialize()));
  }
  if (!decision.warnings.empty()) {
    value w = value::array();
    for (size_t i = 0; i < decision.warnings.size(); ++i) {
      w[i] = value::string(decision.warnings[i]);
    }
    resp["warnings"] = w;
  }
  value review = value::object();
  review["apiVersion"] = value::string(request.api_version);
  review["kind"] = value::string("AdmissionReview");
  review["response"] = resp;
  return review.serialize();
}

}  // namespace edgerepl::webhook
