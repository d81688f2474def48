// GET /metrics for a prometheus-cpp registry, in the Prometheus text format.
#pragma once

#include <prometheus/registry.h>

#include "common/httpserver/server.h"

namespace edgerepl::httpserver {

inline constexpr std::string_view kPrometheusTextContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// Serializes every family of `registry` now.
Response ServeMetrics(const prometheus::Registry& registry);

}  // namespace edgerepl::httpserver
