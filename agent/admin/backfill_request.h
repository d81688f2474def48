// The body of POST /api/v1/replications/{id}/backfill: {"from": RFC 3339, "to": RFC 3339,
// "maxPointsPerSecond": n}, checked as the config file's backfill section is (same bounds, errors
// naming the field).
#pragma once

#include <string_view>

#include "agent/admin/backend.h"
#include "common/status.h"

namespace edgerepl::admin {

Result<BackfillRequest> ParseBackfillRequest(std::string_view body);

}  // namespace edgerepl::admin
