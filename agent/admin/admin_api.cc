#include "agent/admin/admin_api.h"

#include "agent/admin/backfill_request.h"
#include "agent/admin/json.h"
#include "agent/admin/status_json.h"
#include "common/codec/json_string.h"
#include "common/codec/query.h"
#include "common/httpserver/metrics_handler.h"
#include "common/log/redact.h"

namespace edgerepl::admin {
namespace {

constexpr std::string_view kReplicationsPrefix = "/api/v1/replications";
constexpr std::string_view kJsonType = "application/json; charset=utf-8";

httpserver::Response Json(int status, std::string body) {
  httpserver::Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::string(kJsonType));
  r.body = std::move(body);
  return r;
}

httpserver::Response Text(int status, std::string body) {
  httpserver::Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

// Compares without an early exit, so the time taken does not reveal how much of a guess matched.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

}  // namespace

httpserver::Response JsonError(int status, std::string_view code, std::string_view message) {
  JsonWriter w;
  w.BeginObject().Key("code").String(code).Key("message").String(message).EndObject();
  return Json(status, w.str());
}

AdminApi::AdminApi(Backend& backend, const prometheus::Registry& registry, std::string version)
    : backend_(backend), registry_(registry), version_(std::move(version)) {}

httpserver::Response AdminApi::Handle(const httpserver::Request& request) {
  const std::string& path = request.path;
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (path == "/metrics") {
    if (!get) return JsonError(405, "method not allowed", "use GET");
    // Labels are names from the config, but this text leaves the process: no secret in it.
    httpserver::Response r = httpserver::ServeMetrics(registry_);
    r.body = log::GlobalSecrets().Redact(r.body);
    return r;
  }
  if (path == "/healthz") {
    if (!get) return JsonError(405, "method not allowed", "use GET");
    return Text(200, "ok\n");
  }
  if (path == "/readyz") {
    if (!get) return JsonError(405, "method not allowed", "use GET");
    Status ready = backend_.Ready();
    return ready.ok() ? Text(200, "ok\n") : Text(503, "not ready: " + ready.message() + "\n");
  }
  if (path == kReplicationsPrefix) {
    if (!get) return JsonError(405, "method not allowed", "use GET");
    return Json(200, ReplicationsJson(version_, backend_.ConfigHash(), backend_.Replications()));
  }
  if (path.size() > kReplicationsPrefix.size() + 1 &&
      path.compare(0, kReplicationsPrefix.size() + 1, std::string(kReplicationsPrefix) + "/") ==
          0) {
    std::string_view rest = std::string_view(path).substr(kReplicationsPrefix.size() + 1);
    size_t slash = rest.find('/');
    std::string id = codec::QueryUnescape(rest.substr(0, slash));
    if (slash == std::string_view::npos) {
      if (!get) return JsonError(405, "method not allowed", "use GET");
      for (const auto& r : backend_.Replications()) {
        if (r.id == id) return Json(200, ReplicationJson(r));
      }
      return JsonError(404, "not found", "no replication with id " + codec::JsonString(id));
    }
    std::string_view action = rest.substr(slash + 1);
    if (action == "skip-head" || action == "retry-now") {
      if (request.method != "POST") return JsonError(405, "method not allowed", "use POST");
      return Action(request, id, action);
    }
    if (action == "backfill") {
      if (request.method != "POST" && request.method != "DELETE") {
        return JsonError(405, "method not allowed", "use POST to start, DELETE to cancel");
      }
      return Backfill(request, id);
    }
  }
  return JsonError(404, "not found", "no admin endpoint " + codec::JsonString(path));
}

bool AdminApi::Authorized(const httpserver::Request& request) const {
  std::string token = backend_.AdminToken();
  if (token.empty()) return true;
  // Through the Kubernetes API server's pod proxy (kubectl edgerepl) the token comes in its own
  // header: the API server authenticates the caller by Authorization and removes that header
  // before proxying.
  if (const std::string* own = request.Header("X-Edgerepl-Admin-Token")) {
    return ConstantTimeEquals(*own, token);
  }
  const std::string* header = request.Header("Authorization");
  if (header == nullptr) return false;
  // "Bearer" is the documented scheme; "Token" is accepted too, as InfluxDB clients send it.
  for (std::string_view scheme : {std::string_view("Bearer "), std::string_view("Token ")}) {
    if (header->size() > scheme.size() && header->compare(0, scheme.size(), scheme) == 0) {
      return ConstantTimeEquals(std::string_view(*header).substr(scheme.size()), token);
    }
  }
  return false;
}

httpserver::Response AdminApi::Action(const httpserver::Request& request, std::string_view id,
                                      std::string_view action) {
  if (!Authorized(request)) {
    httpserver::Response r =
        JsonError(401, "unauthorized", "this call needs Authorization: Bearer <adminToken>");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  bool found = action == "skip-head" ? backend_.SkipHead(id) : backend_.RetryNow(id);
  if (!found) return JsonError(404, "not found", "no replication with id " + codec::JsonString(id));
  JsonWriter w;
  w.BeginObject().Key("id").String(id).Key("action").String(action).EndObject();
  return Json(202, w.str());
}

}  // namespace edgerepl::admin

namespace edgerepl::admin {

httpserver::Response AdminApi::Backfill(const httpserver::Request& request, std::string_view id) {
  if (!Authorized(request)) {
    httpserver::Response r =
        JsonError(401, "unauthorized", "this call needs Authorization: Bearer <adminToken>");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  Status st;
  if (request.method == "DELETE") {
    st = backend_.CancelBackfill(id);
  } else {
    Result<BackfillRequest> parsed = ParseBackfillRequest(request.body);
    if (!parsed.ok()) return JsonError(400, "invalid", parsed.status().message());
    st = backend_.StartBackfill(id, *parsed);
  }
  if (st.IsNotFound()) return JsonError(404, "not found", st.message());
  if (!st.ok()) return JsonError(500, "internal error", st.message());
  for (const auto& r : backend_.Replications()) {
    if (r.id == id) return Json(202, ReplicationJson(r));
  }
  return JsonError(404, "not found", "no replication with id " + codec::JsonString(id));
}

}  // namespace edgerepl::admin
