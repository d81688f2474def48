#include "agent/frontdoor/delete_handler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "agent/deletes/delete_spec.h"
#include "agent/deletes/influxql_delete.h"
#include "agent/deletes/query_answer.h"
#include "agent/deletes/v2_delete.h"
#include "agent/frontdoor/destination.h"
#include "agent/frontdoor/intent.h"
#include "agent/frontdoor/local_info.h"
#include "agent/frontdoor/proxy.h"
#include "agent/frontdoor/v2_to_v1.h"
#include "agent/lineprotocol/error_json.h"
#include "common/codec/percent.h"
#include "common/codec/query.h"

namespace edgerepl::frontdoor {
namespace {

constexpr std::string_view kInstanceTag = "_instance_id";

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

httpserver::Response V1Error(int status, std::string_view message) {
  httpserver::Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = lp::ErrorJsonV1(message);
  return r;
}

httpserver::Response V2Error(int status, std::string_view code, std::string_view message) {
  httpserver::Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  r.body = lp::ErrorJson(code, message);
  return r;
}

// `params` (a query string or form body) without the parameter `name`.
std::string WithoutParam(std::string_view params, std::string_view name) {
  std::string out;
  while (!params.empty()) {
    size_t amp = params.find('&');
    std::string_view pair = params.substr(0, amp);
    params = amp == std::string_view::npos ? std::string_view() : params.substr(amp + 1);
    if (pair.empty() || codec::QueryUnescape(pair.substr(0, pair.find('='))) == name) continue;
    if (!out.empty()) out.push_back('&');
    out.append(pair);
  }
  return out;
}

bool IsForm(const httpserver::Request& request) {
  const std::string* type = request.Header("Content-Type");
  return type != nullptr && EqualsIgnoreCase(std::string_view(*type).substr(0, type->find(';')),
                                             "application/x-www-form-urlencoded");
}

// A parameter of a /query request: the URL's, or the form body's (InfluxDB reads both).
std::string QueryRequestParam(const httpserver::Request& request, std::string_view name) {
  if (auto v = codec::QueryParam(request.query, name)) return *v;
  if (request.method == "POST" && IsForm(request)) {
    if (auto v = codec::QueryParam(request.body, name)) return *v;
  }
  return "";
}

// "DROP MEASUREMENT m" as the statement that deletes the same: every series of m, and with its
// last series the measurement. The remote is given that form, which both APIs can express.
std::string WithDropMeasurementAsDropSeries(const std::string& statement) {
  auto word = [](std::string_view s, size_t* i, std::string_view w) {
    while (*i < s.size() && std::isspace(static_cast<unsigned char>(s[*i]))) ++*i;
    if (s.size() - *i < w.size() || !EqualsIgnoreCase(s.substr(*i, w.size()), w)) return false;
    *i += w.size();
    return *i < s.size() && std::isspace(static_cast<unsigned char>(s[*i]));
  };
  size_t i = 0;
  if (!word(statement, &i, "DROP") || !word(statement, &i, "MEASUREMENT")) return statement;
  return "DROP SERIES FROM " + statement.substr(i);
}

// The replications a delete of `dest` reaches.
std::vector<WriteTarget*> Replicating(std::vector<WriteTarget*> targets) {
  std::erase_if(targets, [](WriteTarget* t) { return !t->replication().replicate_deletes; });
  return targets;
}

// Under queueFullPolicy reject nothing is deleted locally that a full queue could not carry.
std::optional<std::string> FullQueue(const Routing& routing,
                                     const std::vector<WriteTarget*>& targets) {
  if (routing.queue_full_policy != config::QueueFullPolicy::kReject) return std::nullopt;
  for (WriteTarget* t : targets) {
    if (!t->HasRoomFor(256)) {
      return "replication queue of \"" + t->replication().name +
             "\" is full; nothing was deleted, retry later";
    }
  }
  return std::nullopt;
}

// The deletes one replication queues for `spec`: limited to this agent's points where
// instanceID tags them, and to the measurements a measurement filter replicates (a delete of
// another measurement is not this replication's; one of every measurement becomes one per
// replicated measurement, so the remote's other data is left alone).
std::vector<deletes::DeleteSpec> ForReplication(const deletes::DeleteSpec& spec,
                                                const config::ReplicationConfig& replication,
                                                const std::string& instance_id) {
  deletes::DeleteSpec scoped = spec;
  if (!instance_id.empty()) scoped.tags.emplace_back(kInstanceTag, instance_id);
  const std::vector<std::string>& only = replication.measurements;
  if (only.empty()) return {scoped};
  if (scoped.measurement) {
    if (std::find(only.begin(), only.end(), *scoped.measurement) == only.end()) return {};
    return {scoped};
  }
  std::vector<deletes::DeleteSpec> out;
  for (const std::string& m : only) {
    out.push_back(scoped);
    out.back().measurement = m;
  }
  return out;
}

// Queues the delete the local applied; an error message when a queue could not take it (the
// local copy is gone, the remote's would stay: the client must know).
std::optional<std::string> Queue(const Routing& routing, const std::vector<WriteTarget*>& targets,
                                 const deletes::DeleteSpec& spec) {
  for (WriteTarget* target : targets) {
    for (const deletes::DeleteSpec& one :
         ForReplication(spec, target->replication(), routing.instance_id)) {
      Status st = target->Append(deletes::EncodeRecord(one), 0);
      if (st.ok()) {
        target->CountDelete("queued");
        continue;
      }
      if (st.code() == StatusCode::kAborted) break;  // removed by a reload meanwhile
      if (st.IsNoSpace()) {
        spdlog::warn("replication {}: queue full, a delete applied locally is not replicated",
                     target->replication().name);
        target->CountDelete("dropped");
        continue;
      }
      spdlog::error("replication {}: queueing a delete failed: {}", target->replication().name,
                    st.ToString());
      return "deleted locally but not queued for replication \"" + target->replication().name +
             "\": " + st.message();
    }
  }
  return std::nullopt;
}

}  // namespace

DeleteHandler::DeleteHandler(RoutingFn routing, const Clock& clock)
    : routing_(std::move(routing)), clock_(clock) {}

std::optional<httpserver::Response> DeleteHandler::Handle(const httpserver::Request& request) {
  return Dispatch(request, /*record=*/true);
}

std::optional<httpserver::Response> DeleteHandler::Dispatch(const httpserver::Request& request,
                                                            bool record) {
  const bool v1 = request.path == "/query";
  const bool v2 = request.path == "/api/v2/delete" && request.method == "POST";
  if (!v1 && !v2) return std::nullopt;
  std::shared_ptr<const Routing> routing = routing_();
  bool any = std::any_of(routing->targets.begin(), routing->targets.end(),
                         [](const auto& t) { return t->replication().replicate_deletes; });
  if (!any) return std::nullopt;
  return v1 ? HandleV1(*routing, request, record) : HandleV2(*routing, request, record);
}

bool DeleteHandler::IsDeleteIntent(const http::HttpRequest& local) {
  std::string_view target = local.target;
  std::string_view path = target.substr(0, target.find('?'));
  return path == "/query" || path == "/api/v2/delete";
}

WriteHandler::ReplayOutcome DeleteHandler::Replay(http::HttpRequest local) {
  const size_t q = local.target.find('?');
  httpserver::Request request;
  request.method = local.method;
  request.path = local.target.substr(0, q);
  if (q != std::string::npos) request.query = local.target.substr(q + 1);
  request.headers = std::move(local.headers);
  request.body = std::move(local.body);
  WriteHandler::ReplayOutcome out;
  std::optional<httpserver::Response> r = Dispatch(request, /*record=*/false);
  if (!r) {
    // No replication replicates it any more (the config changed): nothing to queue.
    out.status = 204;
    out.answered = true;
    return out;
  }
  out.status = r->status;
  out.answered = r->status != 502;
  out.body = std::move(r->body);
  return out;
}

std::optional<httpserver::Response> DeleteHandler::HandleV1(const Routing& routing,
                                                            const httpserver::Request& request,
                                                            bool record) {
  const std::string q = QueryRequestParam(request, "q");
  std::vector<std::string> statements = deletes::SplitStatements(q);
  for (std::string& statement : statements) {
    statement = WithDropMeasurementAsDropSeries(statement);
  }
  if (std::none_of(statements.begin(), statements.end(), deletes::IsDeleteStatement)) {
    return std::nullopt;
  }
  const std::string db = QueryRequestParam(request, "db");
  std::vector<WriteTarget*> targets;
  for (const auto& t : routing.targets) {
    std::string_view bucket = t->replication().local_bucket;
    // DELETE and DROP SERIES act on every retention policy of the database.
    if (!db.empty() && bucket.substr(0, bucket.find('/')) == db) targets.push_back(t.get());
  }
  targets = Replicating(std::move(targets));
  if (targets.empty()) return std::nullopt;
  if (statements.size() > 1) {
    return V1Error(400,
                   "deletes of database \"" + db +
                       "\" are replicated: send a DELETE or DROP SERIES as a query of its own");
  }
  Result<deletes::DeleteSpec> spec =
      deletes::ParseInfluxQLDelete(statements[0], clock_.WallNowNanos());
  if (!spec.ok()) {
    return V1Error(400,
                   "deletes of database \"" + db +
                       "\" are replicated, and this one cannot be: " + spec.status().message());
  }
  if (auto full = FullQueue(routing, targets)) {
    httpserver::Response r = V1Error(503, *full);
    r.headers.emplace_back("Retry-After", "10");
    return r;
  }

  // The statement as it will be replicated; the request's other parameters (u, p, ...) as sent.
  http::HttpRequest local;
  local.method = "POST";
  local.target = Target(request.path, WithoutParam(request.query, "q"));
  std::string form =
      request.method == "POST" && IsForm(request) ? WithoutParam(request.body, "q") : std::string();
  local.body = "q=" + codec::PercentEncode(deletes::RenderInfluxQL(*spec));
  if (!form.empty()) local.body += "&" + form;
  local.headers = ForwardHeaders(request.headers, /*drop_content_encoding=*/true);
  std::erase_if(local.headers,
                [](const auto& h) { return EqualsIgnoreCase(h.first, "content-type"); });
  local.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  IntentScope intent(record ? routing.intents.get() : nullptr, local);
  auto answer = routing.local->Send(local);
  if (!answer.ok()) {
    return V1Error(502, "local InfluxDB gave no answer: " + answer.status().message());
  }
  if (answer->status != 200 || !deletes::QueryAnswerError(answer->body).empty()) {
    return FromLocal(*answer);  // not deleted locally: nothing to replicate
  }
  if (auto error = Queue(routing, targets, *spec)) return V1Error(503, *error);
  return FromLocal(*answer);
}

std::optional<httpserver::Response> DeleteHandler::HandleV2(const Routing& routing,
                                                            const httpserver::Request& request,
                                                            bool record) {
  Destination dest = ResolveDestination(routing, Api::kV2, request);
  if (dest.bucket.empty()) {
    dest.bucket = codec::QueryParam(request.query, "bucketID").value_or("");
  }
  std::vector<WriteTarget*> targets = Replicating(MatchTargets(routing, dest));
  if (targets.empty()) return std::nullopt;
  if (const std::string* enc = request.Header("Content-Encoding");
      enc != nullptr && !enc->empty() && !EqualsIgnoreCase(*enc, "identity")) {
    return V2Error(415, "unsupported media type",
                   "deletes of bucket \"" + dest.bucket +
                       "\" are replicated: send the delete request uncompressed");
  }
  Result<deletes::DeleteSpec> spec = deletes::ParseV2Delete(request.body);
  if (!spec.ok()) {
    return V2Error(400, "invalid",
                   "deletes of bucket \"" + dest.bucket +
                       "\" are replicated, and this one cannot be: " + spec.status().message());
  }
  if (auto full = FullQueue(routing, targets)) {
    httpserver::Response r = V2Error(503, "unavailable", *full);
    r.headers.emplace_back("Retry-After", "10");
    return r;
  }

  http::HttpRequest local;
  local.method = "POST";
  local.target = Target(request.path, request.query);
  local.headers = ForwardHeaders(request.headers, /*drop_content_encoding=*/true);
  local.body = deletes::RenderV2Body(*spec);
  // Recorded as the v2 request even when it goes through InfluxQL: a replay decides again.
  IntentScope intent(record ? routing.intents.get() : nullptr, local);
  LocalInfo* info = routing.local_info.get();
  bool translated = info != nullptr && info->translate_v2();
  std::optional<Result<http::HttpResponse>> answer;
  if (!translated) {
    answer = routing.local->Send(local);
    // Not remembered for writes: a local may have /api/v2/write (1.8) and still lack this.
    translated = answer->ok() && info != nullptr && IsMissingV2Endpoint(**answer) && info->IsV1();
  }
  if (translated) {
    // A 1.x local without /api/v2/delete deletes through InfluxQL, as the write path writes
    // through /write; InfluxQL's DELETE acts on every retention policy of the database.
    http::HttpRequest v1;
    v1.method = "POST";
    v1.target = "/query?db=" + codec::PercentEncode(SplitBucket(dest.bucket).db);
    for (const auto& [k, v] : local.headers) {
      if (EqualsIgnoreCase(k, "content-type")) continue;
      v1.headers.emplace_back(k, EqualsIgnoreCase(k, "authorization") ? V1Authorization(v) : v);
    }
    v1.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    v1.body = "q=" + codec::PercentEncode(deletes::RenderInfluxQL(*spec));
    answer = routing.local->Send(v1);
  }
  if (!answer->ok()) return LocalUnreachable(answer->status());
  const http::HttpResponse& a = **answer;
  if (translated) {
    if (a.status != 200) return FromLocal(ToV2Answer(a));
    if (std::string error = deletes::QueryAnswerError(a.body); !error.empty()) {
      return V2Error(400, "invalid", error);
    }
  } else if (a.status < 200 || a.status > 299) {
    return FromLocal(a);
  }
  if (auto error = Queue(routing, targets, *spec)) return V2Error(503, "unavailable", *error);
  if (!translated) return FromLocal(a);
  httpserver::Response r;
  r.status = 204;
  return r;
}

}  // namespace edgerepl::frontdoor
