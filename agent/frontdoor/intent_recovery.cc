#include "agent/frontdoor/intent_recovery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "agent/lineprotocol/measurement.h"
#include "common/httpserver/server.h"

namespace edgerepl::frontdoor {
namespace {

uint64_t CountLines(std::string_view body) {
  uint64_t n = static_cast<uint64_t>(std::count(body.begin(), body.end(), '\n'));
  if (!body.empty() && body.back() != '\n') ++n;
  return n;
}

// The local's error answer for a log line: its first 512 bytes, without the trailing newline.
std::string_view Trimmed(std::string_view body) {
  body = body.substr(0, 512);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  return body;
}

// Queues an accepted replay as the write path does after a local 2xx; returns the points.
uint64_t Queue(const Routing& routing, const http::HttpRequest& local) {
  const size_t q = local.target.find('?');
  const std::string path = local.target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : local.target.substr(q + 1);
  const Api api = path == "/api/v2/write" ? Api::kV2 : Api::kV1;
  std::string org, bucket, db, rp;
  if (api == Api::kV2) {
    org = httpserver::QueryParam(query, "org").value_or("");
    if (org.empty()) org = httpserver::QueryParam(query, "orgID").value_or("");
    bucket = httpserver::QueryParam(query, "bucket").value_or("");
  } else {
    db = httpserver::QueryParam(query, "db").value_or("");
    rp = httpserver::QueryParam(query, "rp").value_or("");
  }
  const uint64_t all_points = CountLines(local.body);
  for (WriteTarget* target : MatchTargets(routing, api, org, bucket, db, rp)) {
    const auto& measurements = target->replication().measurements;
    std::string filtered;
    std::string_view payload = local.body;
    uint64_t points = all_points;
    if (!measurements.empty()) {
      points = lp::FilterByMeasurement(local.body, measurements, &filtered);
      if (points == 0) continue;
      payload = filtered;
    }
    Status st = target->Append(payload, static_cast<uint32_t>(points));
    if (st.ok() || st.code() == StatusCode::kAborted) continue;
    // The write path's rules: a full queue counts the drop; anything else is logged, as there
    // is no client to tell to retry.
    if (st.IsNoSpace()) {
      target->CountDropped(points, payload.size(), "queue_full");
      continue;
    }
    spdlog::error("replication {}: replayed write not queued: {}", target->replication().name,
                  st.ToString());
  }
  return all_points;
}

}  // namespace

IntentMetrics::IntentMetrics(prometheus::Registry& registry)
    : replays_(prometheus::BuildCounter()
                   .Name("edgerepl_intent_replays_total")
                   .Help("Writes interrupted by the previous stop of the agent (recorded in the "
                         "intent journal, unanswered) that this start replayed, by outcome: "
                         "queued (the local accepted them again and they were queued), refused "
                         "(the local refused the body; not queued), unreadable (a damaged record).")
                   .Register(registry)),
      points_(prometheus::BuildCounter()
                  .Name("edgerepl_intent_replayed_points_total")
                  .Help("Points of the replayed writes, by outcome (see "
                        "edgerepl_intent_replays_total).")
                  .Register(registry)),
      begin_failures_(prometheus::BuildCounter()
                          .Name("edgerepl_intent_journal_failures_total")
                          .Help("Writes sent to the local InfluxDB without an intent record "
                                "because the journal could not take it (disk full, I/O error): "
                                "a crash during one of them may leave it in the local database "
                                "only.")
                          .Register(registry)
                          .Add({})),
      seconds_(prometheus::BuildGauge()
                   .Name("edgerepl_intent_replay_seconds")
                   .Help("Time this start spent replaying interrupted writes before the write "
                         "port opened.")
                   .Register(registry)
                   .Add({})) {
  for (const char* outcome : {"queued", "refused", "unreadable"}) {
    replays_.Add({{"outcome", outcome}});
    points_.Add({{"outcome", outcome}});
  }
}

void IntentMetrics::Observe(const ReplayReport& r) {
  replays_.Add({{"outcome", "queued"}}).Increment(static_cast<double>(r.queued));
  replays_.Add({{"outcome", "refused"}}).Increment(static_cast<double>(r.refused));
  replays_.Add({{"outcome", "unreadable"}}).Increment(static_cast<double>(r.unreadable));
  points_.Add({{"outcome", "queued"}}).Increment(static_cast<double>(r.queued_points));
  points_.Add({{"outcome", "refused"}}).Increment(static_cast<double>(r.refused_points));
  seconds_.Set(r.seconds);
}

void IntentMetrics::BeginFailed() {
  begin_failures_.Increment();
}

ReplayReport ReplayIntents(const Routing& routing, std::vector<PendingWrite> pending,
                           IntentLog& log, const ReplayOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  ReplayReport report;
  std::sort(pending.begin(), pending.end(),
            [](const PendingWrite& a, const PendingWrite& b) { return a.id < b.id; });
  for (size_t i = 0; i < pending.size(); ++i) {
    const PendingWrite& p = pending[i];
    Result<http::HttpRequest> local = DecodeIntent(p.payload);
    if (!local.ok()) {
      spdlog::error("intent {}: {}; dropped", p.id, local.status().message());
      ++report.unreadable;
      log.Resolve(p.id);
      continue;
    }
    auto wait = options.retry_min;
    bool stopped = false;
    for (;;) {
      auto answer = routing.local->Send(*local);
      if (answer.ok() && answer->status < 500) {
        if (answer->status >= 200 && answer->status <= 299) {
          report.queued_points += Queue(routing, *local);
          ++report.queued;
        } else {
          const uint64_t points = CountLines(local->body);
          spdlog::warn(
              "interrupted write {} ({} points): the local InfluxDB refused it on replay with "
              "{}: {}; not queued",
              p.id, points, answer->status, Trimmed(answer->body));
          report.refused_points += points;
          ++report.refused;
        }
        log.Resolve(p.id);
        break;
      }
      ++report.local_retries;
      spdlog::warn("replaying interrupted write {}: local InfluxDB {}; retrying in {} ms", p.id,
                   answer.ok() ? "answered " + std::to_string(answer->status)
                               : "unreachable: " + answer.status().message(),
                   wait.count());
      if (options.stopping && options.stopping()) {
        stopped = true;
        break;
      }
      std::this_thread::sleep_for(wait);
      wait = std::min(wait * 2, options.retry_max);
    }
    if (stopped) {
      report.left = pending.size() - i;
      break;
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace edgerepl::frontdoor
