// Which backfill job a replication runs, from its stored progress and its config. A config range
// is a request fulfilled once: the same range in a later config (a reload, a restart) resumes or
// leaves alone the job it started, a new range starts a new job, and removing it cancels a job it
// started. A job started by the admin call stands until a new config range or admin call.
#pragma once

#include <optional>

#include "agent/backfill/progress.h"
#include "common/config/config.h"

namespace edgerepl::backfill {

// The job to run (or keep as a finished or cancelled record); nullopt when there is none. Its
// progress needs storing when it differs from `stored`.
std::optional<Progress> PlanFromConfig(const std::optional<Progress>& stored,
                                       const std::optional<config::BackfillConfig>& config);

// A job the admin call asked for; it remembers the config's range so that range does not start
// again over it.
Progress PlanFromAdmin(const config::BackfillConfig& request,
                       const std::optional<config::BackfillConfig>& config);

}  // namespace edgerepl::backfill
