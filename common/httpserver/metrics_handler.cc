#include "common/httpserver/metrics_handler.h"

#include <prometheus/text_serializer.h>

namespace edgerepl::httpserver {

Response ServeMetrics(const prometheus::Registry& registry) {
  Response r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", std::string(kPrometheusTextContentType));
  r.body = prometheus::TextSerializer().Serialize(registry.Collect());
  return r;
}

}  // namespace edgerepl::httpserver
