#include "agent/frontdoor/write_handler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/frontdoor/intent.h"
#include "agent/frontdoor/proxy.h"
#include "agent/lineprotocol/error_json.h"
#include "agent/lineprotocol/measurement.h"
#include "agent/lineprotocol/normalize.h"
#include "agent/lineprotocol/precision.h"
#include "common/codec/gzip.h"

namespace edgerepl::frontdoor {
namespace {

constexpr std::string_view kInstanceTag = "_instance_id";

httpserver::Response Error(int status, std::string_view code, std::string_view message) {
  httpserver::Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  r.body = lp::ErrorJson(code, message);
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

}  // namespace

bool IsWrite(const httpserver::Request& request) {
  return request.method == "POST" && (request.path == "/api/v2/write" || request.path == "/write");
}

std::string WithoutPrecision(std::string_view query) {
  std::string out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (httpserver::PercentDecode(pair.substr(0, pair.find('='))) == "precision") continue;
    if (pair.empty()) continue;
    if (!out.empty()) out.push_back('&');
    out.append(pair);
  }
  return out;
}

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
  // only selects replications.
  std::optional<lp::Precision> precision;
  std::string org, bucket, db, rp;
  std::string precision_text = httpserver::QueryParam(q, "precision").value_or("");
  if (api == Api::kV2) {
    org = httpserver::QueryParam(q, "org").value_or("");
    if (org.empty()) org = httpserver::QueryParam(q, "orgID").value_or("");
    bucket = httpserver::QueryParam(q, "bucket").value_or("");
    precision = lp::ParsePrecisionV2(precision_text);
  } else {
    db = httpserver::QueryParam(q, "db").value_or("");
    rp = httpserver::QueryParam(q, "rp").value_or("");
    precision = lp::ParsePrecisionV1(precision_text);
  }
  if (!precision) {
    return Error(400, "invalid", "invalid precision \"" + precision_text + "\"");
  }

  // Body: identity or gzip, bounded after decompression so a gzip bomb is refused.
  std::string inflated;
  std::string_view body = request.body;
  if (const std::string* enc = request.Header("Content-Encoding");
      enc != nullptr && !enc->empty() && !EqualsIgnoreCase(*enc, "identity")) {
    if (!EqualsIgnoreCase(*enc, "gzip")) {
      return Error(415, "unsupported media type",
                   "Content-Encoding \"" + *enc + "\" is not supported; use gzip or identity");
    }
    auto decoded = codec::GzipDecompress(request.body, routing->max_body_bytes);
    if (!decoded.ok()) {
      if (decoded.status().IsNoSpace()) {
        return Error(413, "request too large",
                     "unable to read data: decompressed body exceeds " +
                         std::to_string(routing->max_body_bytes) + " bytes");
      }
      return Error(400, "invalid", "unable to decode gzip body: " + decoded.status().message());
    }
    inflated = std::move(decoded).value();
    body = inflated;
  }
  if (body.size() > routing->max_body_bytes) {
    return Error(
        413, "request too large",
        "unable to read data: body exceeds " + std::to_string(routing->max_body_bytes) + " bytes");
  }

  // Validate and normalize every line; one bad line refuses the whole request.
  std::vector<WriteTarget*> targets = MatchTargets(*routing, api, org, bucket, db, rp);
  lp::NormalizeOptions options;
  options.precision = *precision;
  options.now_ns = clock_.WallNowNanos();
  if (!routing->instance_id.empty() && !targets.empty()) {
    options.extra_tag_key = kInstanceTag;
    options.extra_tag_value = routing->instance_id;
  }
  std::string normalized;
  auto stats = lp::Normalize(body, options, &normalized);
  if (!stats.ok()) return Error(400, "invalid", stats.status().message());
  // What the local InfluxDB receives is the normalized body, which timestamps (and the
  // _instance_id tag) make longer: a body within the limit can grow past the local's own
  // max-body-size, which maxBodyBytes mirrors by default. Refused here, before it is sent.
  if (normalized.size() > routing->max_body_bytes) {
    return Error(413, "request too large",
                 "unable to read data: the body with a nanosecond timestamp on every line is " +
                     std::to_string(normalized.size()) + " bytes, over the limit of " +
                     std::to_string(routing->max_body_bytes) +
                     " bytes (maxBodyBytes); send it in smaller writes");
  }

  // Each replication's share, and under queueFullPolicy reject the room check before anything is
  // written anywhere.
  std::vector<Share> shares;
  for (WriteTarget* target : targets) {
    Share share;
    share.target = target;
    const auto& measurements = target->replication().measurements;
    if (measurements.empty()) {
      share.points = stats->points;
    } else {
      share.filtered_used = true;
      share.points = lp::FilterByMeasurement(normalized, measurements, &share.filtered);
      if (share.points == 0) continue;
    }
    shares.push_back(std::move(share));
  }
  if (routing->queue_full_policy == config::QueueFullPolicy::kReject) {
    for (const Share& share : shares) {
      if (!share.target->HasRoomFor(share.payload(normalized).size())) {
        httpserver::Response r =
            Error(503, "unavailable",
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
  const std::string_view all = local.body;
  // Recorded before the local write and resolved when this returns, after the queue appends: a
  // crash in between is replayed at the next start (intent_recovery.h).
  IntentScope intent(routing->intents.get(), local);
  auto local_start = clock_.Now();
  auto answer = routing->local->Send(local);
  *local_seconds = std::chrono::duration<double>(clock_.Now() - local_start).count();
  metrics_.ObserveLocalWrite(*local_seconds);
  if (!answer.ok()) return LocalUnreachable(answer.status());
  if (answer->status < 200 || answer->status > 299) return FromLocal(*answer);
  metrics_.ObserveAccepted(stats->points, all.size());

  // Only now is the write queued for replication; the answer waits until it is durable.
  for (Share& share : shares) {
    std::string_view payload = share.payload(all);
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
    return Error(503, "unavailable",
                 "written locally but not queued for replication \"" +
                     share.target->replication().name + "\": " + st.message());
  }
  return FromLocal(*answer);
}

}  // namespace edgerepl::frontdoor
