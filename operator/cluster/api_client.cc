#include "operator/cluster/api_client.h"

#include <thread>

#include "common/http/client_cpprest.h"

namespace edgerepl::op {
namespace {

constexpr double kQps = 20;
constexpr double kBurst = 40;

std::string Prefix(const std::string& group_version) {
  return group_version.find('/') == std::string::npos ? "/api/" + group_version
                                                      : "/apis/" + group_version;
}

// The API's Status message, or the body's start when it is not one.
std::string ErrorMessage(const http::HttpResponse& r) {
  try {
    web::json::value v = web::json::value::parse(r.body);
    if (v.is_object() && v.has_string_field("message")) return v.at("message").as_string();
  } catch (const std::exception&) {
  }
  return r.body.substr(0, 200);
}

}  // namespace

std::string CollectionPath(const std::string& group_version, const std::string& plural,
                           const std::string& ns) {
  if (ns.empty()) return Prefix(group_version) + "/" + plural;
  return Prefix(group_version) + "/namespaces/" + ns + "/" + plural;
}

std::string ObjectPath(const std::string& group_version, const std::string& plural,
                       const std::string& ns, const std::string& name) {
  return CollectionPath(group_version, plural, ns) + "/" + name;
}

Result<std::unique_ptr<ApiClient>> ApiClient::Make(const KubeAccess& access,
                                                   prometheus::Registry* registry) {
  http::HttpClientOptions options;
  options.base_url = access.server;
  options.timeout = std::chrono::seconds(30);
  options.tls.ca_file = access.ca_file;
  options.tls.client_cert_file = access.client_cert_file;
  options.tls.client_key_file = access.client_key_file;
  options.tls.insecure_skip_verify = access.insecure_skip_verify;
  Result<http::HttpClientPtr> http = http::MakeCpprestHttpClient(options);
  if (!http.ok()) return Status::InvalidArgument(access.source + ": " + http.status().message());
  return std::make_unique<ApiClient>(std::move(*http), access, registry);
}

ApiClient::ApiClient(http::HttpClientPtr http, const KubeAccess& access,
                     prometheus::Registry* registry)
    : http_(std::move(http)), access_(access), token_(access) {
  if (registry != nullptr) {
    requests_ = &prometheus::BuildCounter()
                     .Name("rest_client_requests_total")
                     .Help("Requests to the Kubernetes API, by status code and method.")
                     .Register(*registry);
  }
}

void ApiClient::Throttle() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    tokens_ =
        std::min(kBurst, tokens_ + std::chrono::duration<double>(now - refilled_).count() * kQps);
    refilled_ = now;
    if (tokens_ >= 1) {
      tokens_ -= 1;
      return;
    }
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::duration<double>((1 - tokens_) / kQps));
    lock.lock();
  }
}

Result<web::json::value> ApiClient::Do(const std::string& method, const std::string& path,
                                       const std::string& content_type, const std::string& body) {
  Throttle();
  http::HttpRequest request;
  request.method = method;
  request.target = path;
  request.headers.push_back({"Accept", "application/json"});
  if (!content_type.empty()) request.headers.push_back({"Content-Type", content_type});
  if (std::string t = token_.Get(); !t.empty()) {
    request.headers.push_back({"Authorization", "Bearer " + t});
  }
  request.headers.push_back({"User-Agent", "edgerepl-operator/" EDGEREPL_VERSION});
  request.body = body;
  Result<http::HttpResponse> response = http_->Send(request);
  int code = response.ok() ? response->status : 0;
  if (requests_ != nullptr) {
    requests_->Add({{"code", code == 0 ? "<error>" : std::to_string(code)}, {"method", method}})
        .Increment();
  }
  if (!response.ok())
    return Status::Unavailable(method + " " + path + ": " + response.status().message());
  if (code >= 200 && code < 300) {
    try {
      return response->body.empty() ? web::json::value::object()
                                    : web::json::value::parse(response->body);
    } catch (const std::exception& e) {
      return Status::Internal(method + " " + path + ": answer is not JSON");
    }
  }
  std::string message =
      method + " " + path + ": " + std::to_string(code) + " " + ErrorMessage(*response);
  if (code == 404) return Status::NotFound(message);
  if (code == 409) return Status::Conflict(message);
  if (code == 429 || code >= 500) return Status::Unavailable(message);
  return Status::InvalidArgument(message);
}

Result<web::json::value> ApiClient::Get(const std::string& path) {
  return Do("GET", path, "", "");
}

Result<web::json::value> ApiClient::Create(const std::string& collection_path,
                                           const web::json::value& body) {
  return Do("POST", collection_path, "application/json", body.serialize());
}

Result<web::json::value> ApiClient::Update(const std::string& path, const web::json::value& body) {
  return Do("PUT", path, "application/json", body.serialize());
}

Result<web::json::value> ApiClient::MergePatch(const std::string& path,
                                               const web::json::value& patch) {
  return Do("PATCH", path, "application/merge-patch+json", patch.serialize());
}

}  // namespace edgerepl::op
