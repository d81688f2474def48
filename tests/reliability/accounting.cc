#include "tests/reliability/accounting.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <sstream>

#include "tests/reliability/http_post.h"
#include "tests/support/servers.h"

namespace edgerepl::reliability {
namespace {

// Seqs per query; below influxd's max-row-limit (10000 on some versions) so no page is cut.
constexpr uint64_t kWindow = 10000;

// Pulls (time, seq) pairs out of influxd's JSON answer to `SELECT seq ...` with epoch=ns.
bool ParseSeqs(const std::string& json, std::vector<std::pair<int64_t, int64_t>>* out) {
  size_t v = json.find("\"values\":[");
  if (v == std::string::npos) return json.find("\"error\"") == std::string::npos;
  const char* p = json.c_str() + v + 10;
  while (*p == '[') {
    ++p;
    char* end = nullptr;
    long long t = std::strtoll(p, &end, 10);
    p = end + 1;  // ','
    long long s = std::strtoll(p, &end, 10);
    p = end;
    if (*p != ']') return false;
    out->emplace_back(t, s);
    ++p;
    if (*p == ',') ++p;
  }
  return true;
}

}  // namespace

std::optional<RemoteView> ReadRemote(int influx_port, const std::string& db, const std::string& run,
                                     int64_t base_ns, uint64_t max_seq) {
  RemoteView view;
  view.present.assign(max_seq, 0);
  for (uint64_t lo = 0; lo < max_seq; lo += kWindow) {
    std::ostringstream q;
    q << "SELECT seq FROM acct WHERE gen='" << run << "' AND time >= " << base_ns + lo
      << " AND time < " << base_ns + lo + kWindow;
    std::string body =
        "q=" + testing::UrlEncode(q.str()) + "&db=" + testing::UrlEncode(db) + "&epoch=ns";
    HttpResult r = HttpCall(influx_port, "POST", "/query", body, std::chrono::seconds(60),
                            "Content-Type: application/x-www-form-urlencoded\r\n");
    if (r.status != 200) return std::nullopt;
    std::vector<std::pair<int64_t, int64_t>> rows;
    if (!ParseSeqs(r.body, &rows)) return std::nullopt;
    for (const auto& [t, s] : rows) {
      ++view.rows;
      if (s >= 0 && static_cast<uint64_t>(s) < max_seq && !view.present[s]) {
        view.present[s] = 1;
        ++view.distinct;
      }
      // A point whose timestamp no longer matches its seq was rewritten on the way.
      if (t != base_ns + s) ++view.misplaced;
    }
  }
  return view;
}

bool AccountingReport::Explained() const {
  return static_cast<double>(acked_missing) <= dropped_total && remote_rows == remote_distinct &&
         remote_misplaced == 0 && refused_present == 0;
}

std::string AccountingReport::Summary() const {
  std::ostringstream s;
  s << "sent=" << sent << " acked=" << acked << " unknown=" << unknown << " refused=" << refused
    << " remote_distinct=" << remote_distinct << " remote_rows=" << remote_rows
    << " remote_misplaced=" << remote_misplaced << " acked_missing=" << acked_missing
    << " unknown_present=" << unknown_present << " refused_present=" << refused_present
    << " dropped_total=" << dropped_total;
  for (const auto& [reason, points] : dropped) s << " dropped[" << reason << "]=" << points;
  s << " resent=" << resent << " write_refused=" << write_refused;
  if (local_read) {
    s << " local_distinct=" << local_distinct << " local_not_remote=" << local_not_remote
      << " remote_not_local=" << remote_not_local;
    if (!local_not_remote_examples.empty()) {
      s << " (local-only ranges start at";
      for (uint64_t m : local_not_remote_examples) s << " " << m;
      s << ")";
    }
  }
  if (!missing_examples.empty()) {
    s << " missing ranges start at";
    for (uint64_t m : missing_examples) s << " " << m;
  }
  return s.str();
}

AccountingReport Account(const std::vector<PointFate>& fates, const RemoteView& remote,
                         const std::map<std::string, double>& dropped_by_reason,
                         double sent_points_metric) {
  AccountingReport r;
  r.remote_distinct = remote.distinct;
  r.remote_rows = remote.rows;
  r.remote_misplaced = remote.misplaced;
  r.dropped = dropped_by_reason;
  for (const auto& [reason, points] : dropped_by_reason) r.dropped_total += points;
  for (uint64_t seq = 0; seq < fates.size(); ++seq) {
    bool present = seq < remote.present.size() && remote.present[seq];
    switch (fates[seq]) {
      case PointFate::kUnsent:
        continue;
      case PointFate::kAcked:
        ++r.acked;
        if (!present) {
          ++r.acked_missing;
          // First seq of each missing range, so the report shows where losses are.
          bool starts_range = seq == 0 || fates[seq - 1] != PointFate::kAcked ||
                              (seq - 1 < remote.present.size() && remote.present[seq - 1]);
          if (starts_range && r.missing_examples.size() < 20) r.missing_examples.push_back(seq);
        }
        break;
      case PointFate::kUnknown:
        ++r.unknown;
        if (present) ++r.unknown_present;
        break;
      case PointFate::kRefused:
        ++r.refused;
        if (present) ++r.refused_present;
        break;
    }
    ++r.sent;
  }
  r.resent = sent_points_metric - static_cast<double>(remote.distinct);
  return r;
}

void CompareWithLocal(const RemoteView& local, const RemoteView& remote, AccountingReport* r) {
  r->local_read = true;
  r->local_distinct = local.distinct;
  const size_t n = std::max(local.present.size(), remote.present.size());
  auto at = [](const RemoteView& v, size_t i) { return i < v.present.size() && v.present[i]; };
  for (size_t seq = 0; seq < n; ++seq) {
    const bool l = at(local, seq), rem = at(remote, seq);
    if (l && !rem) {
      ++r->local_not_remote;
      bool starts_range = seq == 0 || !at(local, seq - 1) || at(remote, seq - 1);
      if (starts_range && r->local_not_remote_examples.size() < 20) {
        r->local_not_remote_examples.push_back(seq);
      }
    } else if (rem && !l) {
      ++r->remote_not_local;
    }
  }
}

}  // namespace edgerepl::reliability
