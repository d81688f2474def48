// No silent gap (DESIGN.md §2.4): points the local InfluxDB accepted for a database that some
// replication covers, but that no replication took, are counted by bucket and reason
// (edgerepl_write_unreplicated_points_total) and logged once per bucket, so a replication that
// misses data because of a retention policy or a measurement filter is visible.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "agent/frontdoor/routing.h"
#include "agent/frontdoor/write_metrics.h"

namespace edgerepl::frontdoor {

// The write named a retention policy that no replication of its database lists.
inline constexpr std::string_view kGapRetentionPolicy = "retention_policy";
// Every matching replication filters measurements and these points' are in none of the filters.
inline constexpr std::string_view kGapMeasurementFilter = "measurement_filter";

// `targets` are the write's matches, `normalized` and `points` what the local stored.
void CountGap(const Routing& routing, const Destination& dest,
              const std::vector<WriteTarget*>& targets, std::string_view normalized,
              uint64_t points, WriteMetrics& metrics);

}  // namespace edgerepl::frontdoor
