#include "agent/frontdoor/write_handler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/frontdoor/destination.h"
#include "agent/frontdoor/gap.h"
#include "agent/frontdoor/intent.h"
#include "agent/frontdoor/local_info.h"
#include "agent/frontdoor/partial_write.h"
#include "agent/frontdoor/proxy.h"
#include "agent/frontdoor/v2_to_v1.h"
#include "agent/lineprotocol/error_json.h"
#include "agent/lineprotocol/measurement.h"
#include "agent/lineprotocol/normalize.h"
#include "agent/lineprotocol/precision.h"
#include "common/codec/gzip.h"
#include "common/codec/query.h"

namespace edgerepl::frontdoor {
namespace {

constexpr std::string_view kInstanceTag = "_instance_id";

// A header value must not carry line breaks (an echoed line of the body may hold any byte).
std::string HeaderSafe(std::string_view v) {
  std::string out(v);
  for (char& c : out) {
    if (c == '\r' || c == '\n' || static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return out;
}

// An error in the shape of the endpoint's version: 2.x's {"code","message"} for /api/v2/write,
// 1.x's {"error"} (and its X-Influxdb-Error header) for /write, as each server answers.
httpserver::Response Error(Api api, int status, std::string_view code, std::string_view message) {
  httpserver::Response r;
  r.status = status;
  if (api == Api::kV1) {
    r.headers.emplace_back("Content-Type", "application/json");
    r.headers.emplace_back("X-Influxdb-Error", HeaderSafe(message.substr(0, 1024)));
    r.body = lp::ErrorJsonV1(message);
  } else {
    r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    r.body = lp::ErrorJson(code, message);
  }
  return r;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// One replication's share of a write: the normalized lines it takes.
struct Share {
  WriteTarget* target = nullptr;
  std::string filtered;  // used when the replication filters measurements
  bool filtered_used = false;
  uint64_t points = 0;
  std::string_view payload(std::string_view all) const {
    return filtered_used ? std::string_view(filtered) : all;
  }
};

std::vector<Share> SharesOf(const std::vector<WriteTarget*>& targets, std::string_view normalized,
                            uint64_t points) {
  std::vector<Share> shares;
  if (points == 0) return shares;
  for (WriteTarget* target : targets) {
    Share share;
    share.target = target;
    const auto& measurements = target->replication().measurements;
    if (measurements.empty()) {
      share.points = points;
    } else {
      share.filtered_used = true;
      share.points = lp::FilterByMeasurement(normalized, measurements, &share.filtered);
      if (share.points == 0) continue;
    }
    shares.push_back(std::move(share));
  }
  return shares;
}

httpserver::Response Unreachable(Api api, const Status& status) {
  if (api == Api::kV2) return LocalUnreachable(status);
  return Error(api, 502, "unavailable", "local InfluxDB gave no answer: " + status.message());
}

}  // namespace

httpserver::Response ErrorForPath(std::string_view path, int status, std::string_view code,
                                  std::string_view message) {
  return Error(path == "/write" ? Api::kV1 : Api::kV2, status, code, message);
}

bool IsWrite(const httpserver::Request& request) {
  return request.method == "POST" && (request.path == "/api/v2/write" || request.path == "/write");
}

std::string WithoutPrecision(std::string_view query) {
  std::string out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (codec::QueryUnescape(pair.substr(0, pair.find('='))) == "precision") continue;
    if (pair.empty()) continue;
    if (!out.empty()) out.push_back('&');
    out.append(pair);
  }
  return out;
}

namespace {

// What a local write and its queue appends came to.
struct Delivered {
  bool local_answered = false;  // the local InfluxDB answered (any status)
  uint64_t queued_points = 0;   // the local stored them: given to the matching queues
  uint64_t refused_points =
      0;  // the local refused them (4xx, or the refused lines of a partial write)
};

// The local write of a normalized body and, once the local accepted it (or the stored part of a
// partial write), its queue appends. `record`: the write is recorded in the intent journal for
// its duration (a replay of a recorded write is not recorded again).
httpserver::Response SendAndQueue(const Clock& clock, WriteMetrics& metrics,
                                  const Routing& routing_ref, Api api, const Destination& dest,
                                  const std::vector<WriteTarget*>& targets,
                                  std::vector<Share> shares, http::HttpRequest local,
                                  uint64_t points, bool record, double* local_seconds,
                                  Delivered* delivered) {
  const Routing* routing = &routing_ref;
  const uint64_t all_points = points;
  // A v2 write in front of a local without /api/v2/write goes as the v1 write 1.8 would make of
  // it (v2_to_v1.h).
  LocalInfo* info = routing->local_info.get();
  // Recorded before the local write and resolved when this returns, after the queue appends: a
  // crash in between is replayed at the next start (intent_recovery.h).
  IntentScope intent(record ? routing->intents.get() : nullptr, local);
  auto local_start = clock.Now();
  bool translated = false;
  auto answer = SendLocalWrite(*routing->local, info, api, dest.bucket, &local, &translated);
  *local_seconds = std::chrono::duration<double>(clock.Now() - local_start).count();
  metrics.ObserveLocalWrite(*local_seconds);
  const std::string_view all = local.body;
  if (!answer.ok()) return Unreachable(api, answer.status());
  delivered->local_answered = true;
  if (info != nullptr) info->NoteAnswer(answer->headers);
  const http::HttpResponse client_answer = translated ? ToV2Answer(*answer) : *answer;

  // A partial write: queue exactly the lines the local stored, count the others, and pass the
  // local's answer on unchanged (partial_write.h).
  std::string_view stored = all;
  uint64_t stored_points = all_points;
  PartialWriteResult partial;
  if (IsPartialWrite(*answer)) {
    partial = ResolvePartialWrite(*routing->local, local, all, *answer);
    for (const auto& [reason, n] : partial.refused) {
      metrics.ObserveRefused(reason, n);
      delivered->refused_points += n;
    }
    stored = partial.stored;
    stored_points = partial.stored_points;
    shares = SharesOf(targets, stored, stored_points);
  } else if (answer->status < 200 || answer->status > 299) {
    delivered->refused_points = answer->status < 500 ? all_points : 0;
    return FromLocal(client_answer);
  }
  metrics.ObserveAccepted(stored_points, stored.size());
  delivered->queued_points = stored_points;
  CountGap(*routing, dest, targets, stored, stored_points, metrics);

  // Only now is the write queued for replication; the answer waits until it is durable.
  for (Share& share : shares) {
    std::string_view payload = share.payload(stored);
    Status st = share.target->Append(payload, static_cast<uint32_t>(share.points));
    if (st.ok() || st.code() == StatusCode::kAborted) continue;  // aborted: removed by a reload
    if (st.IsNoSpace()) {
      share.target->CountDropped(share.points, payload.size(), kDropQueueFull);
      continue;
    }
    // The local copy exists but the queue could not take it: the client must retry, or the
    // remote would silently miss these points.
    spdlog::error("replication {}: queue append failed: {}", share.target->replication().name,
                  st.ToString());
    return Error(api, 503, "unavailable",
                 "written locally but not queued for replication \"" +
                     share.target->replication().name + "\": " + st.message());
  }
  return FromLocal(client_answer);
}

}  // namespace

WriteHandler::WriteHandler(RoutingFn routing, const Clock& clock, WriteMetrics& metrics)
    : routing_(std::move(routing)), clock_(clock), metrics_(metrics) {}

httpserver::Response WriteHandler::Handle(const httpserver::Request& request) {
  auto start = clock_.Now();
  Api api = request.path == "/api/v2/write" ? Api::kV2 : Api::kV1;
  double local_seconds = -1;
  httpserver::Response r = HandleWrite(request, api, &local_seconds);
  const double seconds = std::chrono::duration<double>(clock_.Now() - start).count();
  metrics_.ObserveRequest(api, r.status, seconds);
  if (local_seconds >= 0 && r.status >= 200 && r.status <= 299) {
    metrics_.ObserveAdded(std::max(0.0, seconds - local_seconds));
  }
  return r;
}

void WriteHandler::CountRefused(const httpserver::Request& request, int status) {
  if (!IsWrite(request)) return;
  metrics_.ObserveRequest(request.path == "/api/v2/write" ? Api::kV2 : Api::kV1, status, 0);
}

httpserver::Response WriteHandler::HandleWrite(const httpserver::Request& request, Api api,
                                               double* local_seconds) {
  std::shared_ptr<const Routing> routing = routing_();
  const std::string& q = request.query;

  // Parameters. The bucket or db is checked by the local InfluxDB (it owns the names); here it
  // only selects replications (destination.h).
  std::string precision_text = codec::QueryParam(q, "precision").value_or("");
  std::optional<lp::Precision> precision =
      api == Api::kV2 ? lp::ParsePrecisionV2(precision_text) : lp::ParsePrecisionV1(precision_text);
  if (!precision) {
    return Error(api, 400, "invalid", "invalid precision \"" + precision_text + "\"");
  }

  // Body: identity or gzip, bounded after decompression so a gzip bomb is refused.
  std::string inflated;
  std::string_view body = request.body;
  if (const std::string* enc = request.Header("Content-Encoding");
      enc != nullptr && !enc->empty() && !EqualsIgnoreCase(*enc, "identity")) {
    if (!EqualsIgnoreCase(*enc, "gzip")) {
      return Error(api, 415, "unsupported media type",
                   "Content-Encoding \"" + *enc + "\" is not supported; use gzip or identity");
    }
    auto decoded = codec::GzipDecompress(request.body, routing->max_body_bytes);
    if (!decoded.ok()) {
      if (decoded.status().IsNoSpace()) {
        return Error(api, 413, "request too large",
                     "unable to read data: decompressed body exceeds " +
                         std::to_string(routing->max_body_bytes) + " bytes");
      }
      return Error(api, 400, "invalid",
                   "unable to decode gzip body: " + decoded.status().message());
    }
    inflated = std::move(decoded).value();
    body = inflated;
  }
  if (body.size() > routing->max_body_bytes) {
    return Error(
        api, 413, "request too large",
        "unable to read data: body exceeds " + std::to_string(routing->max_body_bytes) + " bytes");
  }

  // Validate and normalize every line; one bad line refuses the whole request.
  const Destination dest = ResolveDestination(*routing, api, request);
  std::vector<WriteTarget*> targets = MatchTargets(*routing, dest);
  lp::NormalizeOptions options;
  options.precision = *precision;
  options.now_ns = clock_.WallNowNanos();
  if (!routing->instance_id.empty() && !targets.empty()) {
    options.extra_tag_key = kInstanceTag;
    options.extra_tag_value = routing->instance_id;
  }
  std::string normalized;
  auto stats = lp::Normalize(body, options, &normalized);
  if (!stats.ok()) return Error(api, 400, "invalid", stats.status().message());
  // What the local InfluxDB receives is the normalized body, which timestamps (and the
  // _instance_id tag) make longer: a body within the limit can grow past the local's own
  // max-body-size, which maxBodyBytes mirrors by default. Refused here, before it is sent.
  if (normalized.size() > routing->max_body_bytes) {
    return Error(api, 413, "request too large",
                 "unable to read data: the body with a nanosecond timestamp on every line is " +
                     std::to_string(normalized.size()) + " bytes, over the limit of " +
                     std::to_string(routing->max_body_bytes) +
                     " bytes (maxBodyBytes); send it in smaller writes");
  }

  // Each replication's share, and under queueFullPolicy reject the room check before anything is
  // written anywhere.
  std::vector<Share> shares = SharesOf(targets, normalized, stats->points);
  if (routing->queue_full_policy == config::QueueFullPolicy::kReject) {
    for (const Share& share : shares) {
      if (!share.target->HasRoomFor(share.payload(normalized).size())) {
        httpserver::Response r =
            Error(api, 503, "unavailable",
                  "replication queue of \"" + share.target->replication().name +
                      "\" is full; nothing was written, retry later");
        r.headers.emplace_back("Retry-After", std::to_string(kRejectRetryAfterSeconds));
        return r;
      }
    }
  }

  // The local write: same API, same auth header and parameters, normalized body.
  http::HttpRequest local;
  local.method = "POST";
  local.target = Target(request.path, WithoutPrecision(q));
  local.headers = ForwardHeaders(request.headers, /*drop_content_encoding=*/true);
  local.body = std::move(normalized);
  Delivered delivered;
  return SendAndQueue(clock_, metrics_, *routing, api, dest, targets, std::move(shares),
                      std::move(local), stats->points, /*record=*/true, local_seconds, &delivered);
}

WriteHandler::ReplayOutcome WriteHandler::Replay(http::HttpRequest local) {
  std::shared_ptr<const Routing> routing = routing_();
  const size_t q = local.target.find('?');
  httpserver::Request request;
  request.method = "POST";
  request.path = local.target.substr(0, q);
  if (q != std::string::npos) request.query = local.target.substr(q + 1);
  request.headers = local.headers;
  const Api api = request.path == "/api/v2/write" ? Api::kV2 : Api::kV1;
  const Destination dest = ResolveDestination(*routing, api, request);
  std::vector<WriteTarget*> targets = MatchTargets(*routing, dest);
  uint64_t points = static_cast<uint64_t>(std::count(local.body.begin(), local.body.end(), '\n'));
  if (!local.body.empty() && local.body.back() != '\n') ++points;
  std::vector<Share> shares = SharesOf(targets, local.body, points);
  double local_seconds = -1;
  Delivered delivered;
  httpserver::Response r = SendAndQueue(clock_, metrics_, *routing, api, dest, targets,
                                        std::move(shares), std::move(local), points,
                                        /*record=*/false, &local_seconds, &delivered);
  ReplayOutcome out;
  out.status = r.status;
  out.answered = delivered.local_answered;
  out.queued_points = delivered.queued_points;
  out.refused_points = delivered.refused_points;
  out.body = std::move(r.body);
  return out;
}

}  // namespace edgerepl::frontdoor
