// Queues whose replication left the config (DESIGN §3 "Orphans"): kept for a grace period so a
// config mistake never destroys queued data, then removed.
#pragma once

#include <chrono>
#include <set>
#include <string>

#include "agent/queue/fs.h"
#include "common/clock.h"
#include "common/status.h"

namespace edgerepl::queue {

// Looks at every directory in `queues_dir` (one per replication id). A directory not in
// `live_ids` gets a marker file recording (wall clock) when it was first seen orphaned; once the
// marker is older than `grace` the directory is removed. A live directory loses its marker, so a
// replication that comes back starts a fresh grace period if it leaves again. An unreadable
// marker is rewritten with the current time (the grace period restarts: keeping data is the safe
// side). A missing `queues_dir` is fine. The first error is returned after trying every directory.
Status SweepOrphans(const std::string& queues_dir, const std::set<std::string>& live_ids,
                    std::chrono::seconds grace, FileSystem& fs, const Clock& clock);

}  // namespace edgerepl::queue
