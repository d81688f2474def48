// AdmissionReview in and out, for both admission.k8s.io/v1 and v1beta1 (a 1.20 API server sends
// whichever of admissionReviewVersions it finds first; the chart lists both). The answer has the
// request's uid and apiVersion, `allowed`, and a base64 JSONPatch when there is one.
#pragma once

#include <cpprest/json.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace edgerepl::webhook {

struct AdmissionRequest {
  std::string api_version;  // of the review: "admission.k8s.io/v1" or ".../v1beta1"
  std::string uid;
  std::string kind;       // request.kind.kind: "Pod", "Service"
  std::string operation;  // "CREATE", "UPDATE"
  std::string namespace_;
  bool dry_run = false;
  web::json::value object;
};

// kInvalidArgument naming the field when the body is no AdmissionReview we can answer.
Result<AdmissionRequest> ParseAdmissionReview(std::string_view body);

struct AdmissionDecision {
  bool allowed = true;
  std::string message;  // why it was refused
  web::json::value patch = web::json::value::array();
  std::vector<std::string> warnings;
};

// The AdmissionReview answering `request` (as JSON text).
std::string AdmissionResponse(const AdmissionRequest& request, const AdmissionDecision& decision);

}  // namespace edgerepl::webhook
