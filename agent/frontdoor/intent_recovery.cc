#include "agent/frontdoor/intent_recovery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

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

ReplayReport ReplayIntents(const ReplayFn& replay, std::vector<PendingWrite> pending,
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
      const uint64_t points = CountLines(local->body);
      WriteHandler::ReplayOutcome outcome = replay(*local);
      if (outcome.answered && outcome.status < 500) {
        report.queued_points += outcome.queued_points;
        if (outcome.status >= 200 && outcome.status <= 299) {
          ++report.queued;
        } else {
          // Refused whole, or a partial write: its stored lines were queued above.
          spdlog::warn(
              "interrupted write {} ({} points): the local InfluxDB answered {} on replay: {}; "
              "{} point(s) refused, {} queued",
              p.id, points, outcome.status, Trimmed(outcome.body), outcome.refused_points,
              outcome.queued_points);
          report.refused_points += outcome.refused_points;
          ++report.refused;
        }
        log.Resolve(p.id);
        break;
      }
      ++report.local_retries;
      spdlog::warn("replaying interrupted write {}: local InfluxDB {}; retrying in {} ms", p.id,
                   outcome.answered ? "answered " + std::to_string(outcome.status)
                                    : "unreachable: " + std::string(Trimmed(outcome.body)),
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
