// fmt (through spdlog) must be seen before cpprestsdk's headers: fmt 9 fails to compile the other
// way round.
#include <spdlog/spdlog.h>

#include "operator/kube/rest_client.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/codec/base64.h"
#include "common/codec/percent.h"
#include "operator/kube/transport_cpprest.h"

namespace edgerepl::kube {
namespace {

std::string DefaultReason(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "Unknown";
  }
}

StatusCode CodeFor(int http) {
  if (http == 404) return StatusCode::kNotFound;
  if (http == 409) return StatusCode::kConflict;
  if (http == 400 || http == 422) return StatusCode::kInvalidArgument;
  if (http == 401 || http == 403 || http == 410) return StatusCode::kAborted;
  if (http == 429 || http >= 500) return StatusCode::kUnavailable;
  return StatusCode::kInternal;
}

Status MakeApiStatus(int code, std::string reason, const std::string& message) {
  if (reason.empty()) reason = DefaultReason(code);
  // The reason must stay one word so ApiReason() can read it back.
  reason.erase(std::remove_if(reason.begin(), reason.end(),
                              [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }),
               reason.end());
  if (reason.empty()) reason = "Unknown";
  return Status(CodeFor(code), reason + " (HTTP " + std::to_string(code) + "): " + message);
}

// Parses "<Reason> (HTTP <code>): ..." made by MakeApiStatus.
bool ParseApiMessage(const std::string& m, std::string* reason, int* code) {
  size_t sp = m.find(" (HTTP ");
  if (sp == std::string::npos || sp == 0) return false;
  for (size_t i = 0; i < sp; ++i) {
    if (!std::isalnum(static_cast<unsigned char>(m[i]))) return false;
  }
  size_t digits = sp + 7;
  size_t close = m.find("): ", digits);
  if (close == std::string::npos) return false;
  int c = 0;
  auto [p, ec] = std::from_chars(m.data() + digits, m.data() + close, c);
  if (ec != std::errc() || p != m.data() + close) return false;
  if (reason) *reason = m.substr(0, sp);
  if (code) *code = c;
  return true;
}

void AddParam(std::string& target, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += key;
  target += '=';
  target += codec::PercentEncode(value);
}

bool IsWrite(std::string_view method) {
  return method != "GET";
}

std::chrono::seconds RetryAfter(const http::Headers& headers, std::chrono::seconds fallback) {
  const std::string* v = http::FindHeader(headers, "Retry-After");
  if (v == nullptr) return fallback;
  int secs = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), secs);
  if (ec != std::errc() || secs < 0) return fallback;
  return std::chrono::seconds(secs);
}

}  // namespace

int ApiCode(const Status& status) {
  int code = 0;
  return ParseApiMessage(status.message(), nullptr, &code) ? code : 0;
}

std::string ApiReason(const Status& status) {
  std::string reason;
  return ParseApiMessage(status.message(), &reason, nullptr) ? reason : std::string();
}

Status StatusFromStatusObject(const web::json::value& s) {
  int code = static_cast<int>(Object::IntField(s, "code").value_or(500));
  std::string message = Object::StringField(s, "message");
  if (message.empty()) message = "(no message)";
  return MakeApiStatus(code, Object::StringField(s, "reason"), message);
}

Status StatusFromApiError(int http_code, std::string_view body) {
  Result<Object> parsed = Object::Parse(body);
  if (parsed.ok() && parsed->kind() == "Status") {
    std::string message = Object::StringField(parsed->json(), "message");
    if (message.empty()) message = "(no message)";
    return MakeApiStatus(http_code, Object::StringField(parsed->json(), "reason"), message);
  }
  std::string text(body.substr(0, 512));
  if (text.empty()) text = "(empty answer)";
  return MakeApiStatus(http_code, "", text);
}

RestClient::RestClient(Config config, TransportPtr transport, Clock& clock,
                       prometheus::Registry* registry, RestClientOptions options)
    : config_(std::move(config)),
      transport_(std::move(transport)),
      clock_(clock),
      options_(std::move(options)),
      bucket_(options_.qps, options_.burst, clock) {
  if (registry != nullptr) {
    requests_ =
        &prometheus::BuildCounter()
             .Name("rest_client_requests_total")
             .Help("Number of HTTP requests to the Kubernetes API, by status code and method.")
             .Register(*registry);
  }
}

Result<std::unique_ptr<RestClient>> RestClient::Make(Config config, Clock& clock,
                                                     prometheus::Registry* registry,
                                                     RestClientOptions options) {
  Result<TransportPtr> transport = MakeCpprestTransport(config);
  if (!transport.ok()) return transport.status();
  return std::make_unique<RestClient>(std::move(config), std::move(*transport), clock, registry,
                                      std::move(options));
}

void RestClient::Count(std::string_view method, int code) {
  if (requests_ == nullptr) return;
  requests_
      ->Add({{"code", code == 0 ? std::string("<error>") : std::to_string(code)},
             {"method", std::string(method)}})
      .Increment();
}

Status RestClient::Prepare(http::HttpRequest& request) {
  if (IsWrite(request.method) && options_.write_allowed && !options_.write_allowed()) {
    return Status::Aborted("write refused: this process no longer leads");
  }
  bucket_.Wait(clock_);
  request.headers.emplace_back("Accept", "application/json");
  request.headers.emplace_back("User-Agent", options_.user_agent);
  if (config_.token) {
    Result<std::string> token = config_.token->Token();
    if (!token.ok()) return token.status();
    request.headers.emplace_back("Authorization", "Bearer " + *token);
  } else if (!config_.username.empty()) {
    request.headers.emplace_back(
        "Authorization", "Basic " + codec::Base64Encode(config_.username + ":" + config_.password));
  }
  return Status::Ok();
}

Result<http::HttpResponse> RestClient::Do(http::HttpRequest request, std::string_view verb) {
  bool reauthenticated = false;
  bool transport_retried = false;
  for (int attempt = 0;; ++attempt) {
    http::HttpRequest req = request;
    EDGEREPL_RETURN_IF_ERROR(Prepare(req));
    Result<http::HttpResponse> resp = transport_->Send(req);
    if (!resp.ok()) {
      Count(req.method, 0);
      // A pooled keep-alive connection the server closed (it restarted, or timed the connection
      // out) fails the first request sent on it; one immediate retry opens a fresh connection. A
      // write that did land the first time comes back as 409/404, which callers handle anyway.
      if (!transport_retried) {
        transport_retried = true;
        --attempt;
        continue;
      }
      return resp.status();
    }
    Count(req.method, resp->status);
    if (const std::string* w = http::FindHeader(resp->headers, "Warning")) {
      spdlog::warn("Kubernetes API warning on {} {}: {}", verb, request.target, *w);
    }
    int code = resp->status;
    // A rotated token is picked up at once rather than at the next periodic re-read.
    if (code == 401 && config_.token && !config_.token->path().empty() && !reauthenticated) {
      config_.token->Invalidate();
      reauthenticated = true;
      continue;
    }
    bool retryable =
        code == 429 || (code >= 500 && http::FindHeader(resp->headers, "Retry-After") != nullptr);
    if (retryable && attempt < options_.max_retries) {
      auto wait =
          std::min(RetryAfter(resp->headers, std::chrono::seconds(1)), options_.max_retry_after);
      spdlog::debug("Kubernetes API answered {} to {} {}; retrying in {} s", code, verb,
                    request.target, wait.count());
      clock_.SleepFor(wait);
      continue;
    }
    return resp;
  }
}

Result<Object> RestClient::DoObject(http::HttpRequest request, std::string_view verb) {
  Result<http::HttpResponse> resp = Do(std::move(request), verb);
  if (!resp.ok()) return resp.status();
  if (resp->status < 200 || resp->status > 299) return StatusFromApiError(resp->status, resp->body);
  Result<Object> obj = Object::Parse(resp->body);
  if (!obj.ok()) {
    return Status::Internal(std::string(verb) + ": unreadable answer: " + obj.status().message());
  }
  return obj;
}

Result<Object> RestClient::Get(const ResourceType& type, std::string_view ns,
                               std::string_view name) {
  http::HttpRequest req;
  req.method = "GET";
  req.target = type.ObjectPath(ns, name);
  return DoObject(std::move(req), "get");
}

Result<ObjectList> RestClient::ListPage(const ResourceType& type, std::string_view ns,
                                        const ListOptions& options) {
  http::HttpRequest req;
  req.method = "GET";
  req.target = type.CollectionPath(ns);
  AddParam(req.target, "labelSelector", options.label_selector);
  AddParam(req.target, "fieldSelector", options.field_selector);
  if (options.limit > 0) AddParam(req.target, "limit", std::to_string(options.limit));
  AddParam(req.target, "continue", options.continue_token);
  AddParam(req.target, "resourceVersion", options.resource_version);
  Result<Object> list = DoObject(std::move(req), "list");
  if (!list.ok()) return list.status();
  ObjectList out;
  out.resource_version = list->resource_version();
  out.continue_token = Object::StringField(list->metadata(), "continue");
  const web::json::value& items = Object::Field(list->json(), "items");
  if (items.is_array()) {
    out.items.reserve(items.size());
    for (const auto& item : items.as_array()) {
      Object obj(item);
      // Items of a list carry no apiVersion/kind; fill them so objects look alike everywhere.
      if (obj.kind().empty()) obj.set_type(type);
      out.items.push_back(std::move(obj));
    }
  }
  return out;
}

Result<ObjectList> RestClient::List(const ResourceType& type, std::string_view ns,
                                    ListOptions options) {
  if (options.limit <= 0) options.limit = 500;
  ObjectList all;
  for (;;) {
    Result<ObjectList> page = ListPage(type, ns, options);
    if (!page.ok()) return page.status();
    for (Object& o : page->items) all.items.push_back(std::move(o));
    all.resource_version = page->resource_version;
    if (page->continue_token.empty()) break;
    options.continue_token = page->continue_token;
    // Later pages are served from the first page's snapshot; a version must not be combined.
    options.resource_version.clear();
  }
  return all;
}

Result<Object> RestClient::Create(const ResourceType& type, std::string_view ns,
                                  const Object& object) {
  Object body = object;
  if (body.kind().empty() || body.api_version().empty()) body.set_type(type);
  std::string target_ns = ns.empty() ? object.namespace_() : std::string(ns);
  http::HttpRequest req;
  req.method = "POST";
  req.target = type.CollectionPath(target_ns);
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = body.Serialize();
  return DoObject(std::move(req), "create");
}

Result<Object> RestClient::Update(const ResourceType& type, const Object& object) {
  Object body = object;
  if (body.kind().empty() || body.api_version().empty()) body.set_type(type);
  http::HttpRequest req;
  req.method = "PUT";
  req.target = type.ObjectPath(object.namespace_(), object.name());
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = body.Serialize();
  return DoObject(std::move(req), "update");
}

Result<Object> RestClient::UpdateStatus(const ResourceType& type, const Object& object) {
  Object body = object;
  if (body.kind().empty() || body.api_version().empty()) body.set_type(type);
  http::HttpRequest req;
  req.method = "PUT";
  req.target = type.ObjectPath(object.namespace_(), object.name(), "status");
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = body.Serialize();
  return DoObject(std::move(req), "update status");
}

Result<Object> RestClient::MergePatch(const ResourceType& type, std::string_view ns,
                                      std::string_view name, const web::json::value& patch,
                                      std::string_view subresource) {
  http::HttpRequest req;
  req.method = "PATCH";
  req.target = type.ObjectPath(ns, name, subresource);
  req.headers.emplace_back("Content-Type", "application/merge-patch+json");
  req.body = patch.serialize();
  return DoObject(std::move(req), "patch");
}

Status RestClient::Delete(const ResourceType& type, std::string_view ns, std::string_view name,
                          const DeleteOptions& options) {
  http::HttpRequest req;
  req.method = "DELETE";
  req.target = type.ObjectPath(ns, name);
  web::json::value body = web::json::value::object();
  body["apiVersion"] = web::json::value::string("v1");
  body["kind"] = web::json::value::string("DeleteOptions");
  if (!options.precondition_uid.empty() || !options.precondition_resource_version.empty()) {
    web::json::value pre = web::json::value::object();
    if (!options.precondition_uid.empty()) {
      pre["uid"] = web::json::value::string(options.precondition_uid);
    }
    if (!options.precondition_resource_version.empty()) {
      pre["resourceVersion"] = web::json::value::string(options.precondition_resource_version);
    }
    body["preconditions"] = pre;
  }
  if (!options.propagation_policy.empty()) {
    body["propagationPolicy"] = web::json::value::string(options.propagation_policy);
  }
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = body.serialize();
  Result<http::HttpResponse> resp = Do(std::move(req), "delete");
  if (!resp.ok()) return resp.status();
  if (resp->status < 200 || resp->status > 299) return StatusFromApiError(resp->status, resp->body);
  return Status::Ok();
}

Result<http::HttpResponse> RestClient::Raw(http::HttpRequest request) {
  return Do(std::move(request), "raw");
}

Result<StreamResponse> RestClient::Watch(const ResourceType& type, std::string_view ns,
                                         const WatchOptions& options) {
  http::HttpRequest req;
  req.method = "GET";
  req.target = type.CollectionPath(ns);
  AddParam(req.target, "watch", "true");
  AddParam(req.target, "resourceVersion", options.resource_version);
  if (options.allow_bookmarks) AddParam(req.target, "allowWatchBookmarks", "true");
  if (options.timeout_seconds > 0) {
    AddParam(req.target, "timeoutSeconds", std::to_string(options.timeout_seconds));
  }
  AddParam(req.target, "labelSelector", options.label_selector);
  AddParam(req.target, "fieldSelector", options.field_selector);
  EDGEREPL_RETURN_IF_ERROR(Prepare(req));
  Result<StreamResponse> resp = transport_->Stream(req);
  if (!resp.ok()) {
    Count(req.method, 0);
    return resp.status();
  }
  Count(req.method, resp->status);
  if (resp->status == 401 && config_.token) config_.token->Invalidate();
  if (resp->status != 200) {
    // An error answer is short; read it whole (bounded) for its Status object.
    std::string body;
    for (int i = 0; i < 64 && body.size() < (1 << 20); ++i) {
      Result<bool> more = resp->body->Read(&body, std::chrono::seconds(10));
      if (!more.ok() || !*more) break;
    }
    return StatusFromApiError(resp->status, body);
  }
  return resp;
}

}  // namespace edgerepl::kube
