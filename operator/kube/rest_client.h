// REST verbs against the Kubernetes API with the API's own semantics: optimistic concurrency
// (a 409 is kConflict; re-read, re-apply and retry), errors decoded from the `Status` object the
// server returns, a client-side token bucket (10 qps, burst 100 by default) and 429 answers retried
// after their Retry-After. Thread-safe; one client per API server is shared by all callers.
//
// Error mapping (the Status message is "<Reason> (HTTP <code>): <server message>"):
//   404 -> kNotFound            409 -> kConflict (Conflict or AlreadyExists; see ApiReason)
//   400, 422 -> kInvalidArgument 401, 403 -> kAborted (retrying cannot help until RBAC changes)
//   410 -> kAborted (Expired / Gone: relist)      429, 5xx, transport -> kUnavailable
// ApiCode()/ApiReason() recover the HTTP code and reason from such a Status.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "operator/kube/config.h"
#include "operator/kube/resource.h"
#include "operator/kube/token_bucket.h"
#include "operator/kube/transport.h"

namespace edgerepl::kube {

// The HTTP code of an API error made by this client (0 for transport errors or foreign Statuses).
int ApiCode(const Status& status);
// The API's reason ("AlreadyExists", "Conflict", "NotFound", "Expired", ...); empty when unknown.
std::string ApiReason(const Status& status);
inline bool IsAlreadyExists(const Status& s) {
  return ApiReason(s) == "AlreadyExists";
}
inline bool IsGone(const Status& s) {
  return ApiCode(s) == 410;
}
// Builds the Status for an HTTP answer with the given body (a Status object when the server sent
// one, else the body's start as the message). Exposed for the watcher's ERROR events.
Status StatusFromApiError(int http_code, std::string_view body);
Status StatusFromStatusObject(const web::json::value& status_object);

struct RestClientOptions {
  double qps = 10;
  int burst = 100;
  // 429 (and 5xx with Retry-After) are retried this many times, waiting as the server asks
  // (capped at max_retry_after).
  int max_retries = 5;
  std::chrono::seconds max_retry_after{60};
  std::string user_agent = "edgerepl-operator";
  // Consulted before every write (POST/PUT/PATCH/DELETE); when it returns false the write is not
  // sent and kAborted is returned. The operator's reconcile client uses the leader elector's
  // IsLeader so that nothing is written after leadership is lost.
  std::function<bool()> write_allowed;
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 0;  // page size; 0: the server's default (everything)
  std::string continue_token;
  std::string resource_version;  // "" : most recent (quorum read)
};

struct ObjectList {
  std::vector<Object> items;
  std::string resource_version;  // the collection's version to watch from
  std::string continue_token;    // set when more pages remain (ListPage only)
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;
  bool allow_bookmarks = true;
  int timeout_seconds = 290;  // the server ends the watch after this; below kube-rs's 295 bound
};

struct DeleteOptions {
  std::string precondition_uid;
  std::string precondition_resource_version;
  std::string propagation_policy;  // "", "Foreground", "Background", "Orphan"
};

class RestClient {
 public:
  // `clock` must outlive the client; `registry` may be null (no metrics).
  RestClient(Config config, TransportPtr transport, Clock& clock,
             prometheus::Registry* registry = nullptr, RestClientOptions options = {});

  // Builds the cpprest transport from `config`.
  static Result<std::unique_ptr<RestClient>> Make(Config config, Clock& clock,
                                                  prometheus::Registry* registry = nullptr,
                                                  RestClientOptions options = {});

  const Config& config() const { return config_; }
  Clock& clock() const { return clock_; }

  Result<Object> Get(const ResourceType& type, std::string_view ns, std::string_view name);
  // One page (honours limit/continue).
  Result<ObjectList> ListPage(const ResourceType& type, std::string_view ns,
                              const ListOptions& options);
  // Every page, following continue tokens (page size options.limit, 500 when 0).
  Result<ObjectList> List(const ResourceType& type, std::string_view ns, ListOptions options);
  // Namespace from the object when `ns` is empty. apiVersion/kind are filled in when absent.
  Result<Object> Create(const ResourceType& type, std::string_view ns, const Object& object);
  // PUT with the object's metadata.resourceVersion: kConflict when someone wrote in between.
  Result<Object> Update(const ResourceType& type, const Object& object);
  // PUT on /status: only status changes; generation does not move.
  Result<Object> UpdateStatus(const ResourceType& type, const Object& object);
  // application/merge-patch+json; `subresource` "" or "status".
  Result<Object> MergePatch(const ResourceType& type, std::string_view ns, std::string_view name,
                            const web::json::value& patch, std::string_view subresource = {});
  // kNotFound when already gone.
  Status Delete(const ResourceType& type, std::string_view ns, std::string_view name,
                const DeleteOptions& options = {});
  // Any other call (a pod's proxy subresource, a path no ResourceType describes), with the same
  // authentication, rate limit and retries; the whole answer whatever its status. The target is
  // the path and query, e.g. "/api/v1/namespaces/ns/pods/p:9186/proxy/healthz".
  Result<http::HttpResponse> Raw(http::HttpRequest request);
  // Opens a watch stream (?watch=true). An HTTP error answer becomes its Status (410 included).
  Result<StreamResponse> Watch(const ResourceType& type, std::string_view ns,
                               const WatchOptions& options);

 private:
  Result<http::HttpResponse> Do(http::HttpRequest request, std::string_view verb);
  Result<Object> DoObject(http::HttpRequest request, std::string_view verb);
  Status Prepare(http::HttpRequest& request);
  void Count(std::string_view method, int code);

  Config config_;
  TransportPtr transport_;
  Clock& clock_;
  RestClientOptions options_;
  TokenBucket bucket_;
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
};

}  // namespace edgerepl::kube
