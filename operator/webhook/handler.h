// The webhook's HTTP handler: POST /mutate-pods and /mutate-services with an AdmissionReview.
// Every answer the API server can use is 200 with an AdmissionReview (a refused pod is
// allowed=false with the reason); only a body that is no AdmissionReview gets 400.
#pragma once

#include <functional>

#include "common/httpserver/server.h"
#include "operator/webhook/admission.h"
#include "operator/webhook/inject.h"
#include "operator/webhook/sidecar_template.h"

namespace edgerepl::webhook {

inline constexpr char kPodsPath[] = "/mutate-pods";
inline constexpr char kServicesPath[] = "/mutate-services";

// Told of each pod whose queue became an emptyDir (not for dry runs), to record an Event.
using EphemeralQueueHook =
    std::function<void(const AdmissionRequest& request, const std::string& warning)>;

// `sidecar` is copied. The hook may be empty.
httpserver::Handler MakeHandler(SidecarTemplate sidecar, EphemeralQueueHook on_ephemeral_queue);

}  // namespace edgerepl::webhook
