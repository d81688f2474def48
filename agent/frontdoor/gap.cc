#include "agent/frontdoor/gap.h"

#include <spdlog/spdlog.h>

#include <set>

#include "agent/lineprotocol/measurement.h"

namespace edgerepl::frontdoor {
namespace {

std::string BucketLabel(const Destination& dest) {
  if (!dest.dbrp) return dest.bucket;
  std::string_view rp = dest.rp.empty() && dest.default_rp ? *dest.default_rp : dest.rp;
  return rp.empty() ? dest.db : dest.db + "/" + std::string(rp);
}

}  // namespace

void CountGap(const Routing& routing, const Destination& dest,
              const std::vector<WriteTarget*>& targets, std::string_view normalized,
              uint64_t points, WriteMetrics& metrics) {
  if (points == 0) return;
  uint64_t untaken = 0;
  std::string_view reason;
  if (targets.empty()) {
    if (!dest.dbrp || dest.db.empty() || !CoversDatabase(routing, dest.db)) return;
    untaken = points;
    reason = kGapRetentionPolicy;
  } else {
    std::set<std::string> allowed;
    for (WriteTarget* t : targets) {
      const auto& m = t->replication().measurements;
      if (m.empty()) return;  // this one takes every point
      allowed.insert(m.begin(), m.end());
    }
    std::string taken;
    uint64_t kept = lp::FilterByMeasurement(
        normalized, std::vector<std::string>(allowed.begin(), allowed.end()), &taken);
    if (kept >= points) return;
    untaken = points - kept;
    reason = kGapMeasurementFilter;
  }
  const std::string bucket = BucketLabel(dest);
  if (metrics.ObserveUnreplicated(bucket, reason, untaken)) {
    spdlog::warn(
        "bucket \"{}\": {} point(s) stored locally that no replication takes ({}); counted in "
        "edgerepl_write_unreplicated_points_total, logged once per bucket",
        bucket, untaken,
        reason == kGapRetentionPolicy
            ? "no replication of this database names this retention policy"
            : "every matching replication filters out their measurement");
  }
}

}  // namespace edgerepl::frontdoor
