#include "agent/backfill/plan.h"

namespace edgerepl::backfill {
namespace {

Progress Fresh(const config::BackfillConfig& b, Origin origin) {
  Progress p;
  p.from_ns = b.from_ns;
  p.to_ns = b.to_ns;
  p.max_points_per_second = b.max_points_per_second;
  p.origin = origin;
  p.done_until_ns = b.from_ns;
  return p;
}

}  // namespace

std::optional<Progress> PlanFromConfig(const std::optional<Progress>& stored,
                                       const std::optional<config::BackfillConfig>& config) {
  if (!config) {
    if (!stored) return std::nullopt;
    Progress p = *stored;
    if (p.origin == Origin::kConfig && p.done_until_ns < p.to_ns) p.cancelled = true;
    p.config_range.reset();
    return p;
  }
  const std::pair<int64_t, int64_t> range{config->from_ns, config->to_ns};
  if (stored && stored->config_range == range) {
    Progress p = *stored;
    // A job the admin call cancelled stays cancelled: only a new range starts reading again.
    if (p.origin == Origin::kConfig) p.max_points_per_second = config->max_points_per_second;
    return p;
  }
  Progress p = Fresh(*config, Origin::kConfig);
  p.config_range = range;
  return p;
}

Progress PlanFromAdmin(const config::BackfillConfig& request,
                       const std::optional<config::BackfillConfig>& config) {
  Progress p = Fresh(request, Origin::kAdmin);
  if (config) p.config_range = std::pair<int64_t, int64_t>{config->from_ns, config->to_ns};
  return p;
}

}  // namespace edgerepl::backfill
