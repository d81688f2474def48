// A backfill's durable progress, kept beside its queue (<queues>/<id>.backfill/progress) and
// replaced atomically, so a restart resumes at done_until and a finished range is not read again.
//
// done_until moves only after every point before it is durably in the backfill queue: a crash
// between the two reads that window again, and its points reach the remote twice, which InfluxDB
// stores as one (same series, same timestamp, same fields).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/queue/fs.h"
#include "common/status.h"

namespace edgerepl::backfill {

enum class Origin { kConfig, kAdmin };

struct Progress {
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  uint64_t max_points_per_second = 0;
  Origin origin = Origin::kConfig;
  int64_t done_until_ns = 0;  // every point before it is queued; starts at from_ns
  uint64_t points = 0;        // points read and queued so far
  bool cancelled = false;
  // The range of the config's backfill this job answers, or, for an admin job, the config's
  // range when it started: a config range runs once, and a later admin call is not undone by it.
  std::optional<std::pair<int64_t, int64_t>> config_range;
  bool operator==(const Progress&) const = default;
};

inline constexpr std::string_view kProgressFile = "progress";

std::string EncodeProgress(const Progress& p);
// InvalidArgument when the text is not a progress file this version wrote.
Result<Progress> DecodeProgress(std::string_view text);

// NotFound when there is none yet.
Result<Progress> LoadProgress(queue::FileSystem& fs, const std::string& dir);
Status StoreProgress(queue::FileSystem& fs, const std::string& dir, const Progress& p);

}  // namespace edgerepl::backfill
