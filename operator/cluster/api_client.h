// A small Kubernetes REST client over the outbound HTTP seam: JSON in and out, errors decoded
// from the API's Status object (404 kNotFound, 409 kConflict, 5xx/429/transport kUnavailable,
// other refusals kInvalidArgument with the server's message), and a per-process token bucket
// (client-go's defaults are 5 qps; this client allows 20 qps, burst 40, for the status writes of
// many objects) plus rest_client_requests_total{code,method}.
#pragma once

#include <cpprest/json.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "common/http/client.h"
#include "operator/cluster/kube_access.h"

namespace edgerepl::op {

class ApiClient {
 public:
  // `registry` may be null (no metrics).
  static Result<std::unique_ptr<ApiClient>> Make(const KubeAccess& access,
                                                 prometheus::Registry* registry);
  // For tests: any HttpClient (its base URL is the API server).
  ApiClient(http::HttpClientPtr http, const KubeAccess& access, prometheus::Registry* registry);

  Result<web::json::value> Get(const std::string& path);
  Result<web::json::value> Create(const std::string& collection_path, const web::json::value& body);
  Result<web::json::value> Update(const std::string& path, const web::json::value& body);
  Result<web::json::value> MergePatch(const std::string& path, const web::json::value& patch);

  const KubeAccess& access() const { return access_; }

 private:
  Result<web::json::value> Do(const std::string& method, const std::string& path,
                              const std::string& content_type, const std::string& body);
  void Throttle();

  http::HttpClientPtr http_;
  KubeAccess access_;
  BearerToken token_;
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  std::mutex mu_;
  double tokens_ = 40;
  std::chrono::steady_clock::time_point refilled_ = std::chrono::steady_clock::now();
};

// Path helpers: "/api/v1/namespaces/<ns>/<plural>" or "/apis/<group>/<version>/…"; ns empty =
// across all namespaces.
std::string CollectionPath(const std::string& group_version, const std::string& plural,
                           const std::string& ns);
std::string ObjectPath(const std::string& group_version, const std::string& plural,
                       const std::string& ns, const std::string& name);

}  // namespace edgerepl::op
