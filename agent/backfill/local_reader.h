// Where a backfill reads history from: the local database, one time window at a time. The
// InfluxQL reader (influxql_reader.h) is the one for a 1.x local; tests may read from any source.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace edgerepl::backfill {

struct WindowData {
  std::string lines;  // newline-terminated line protocol, nanosecond timestamps
  uint64_t points = 0;
  // The local database cut the answer short (its max-row-limit): read a smaller window instead.
  bool partial = false;
};

class LocalReader {
 public:
  virtual ~LocalReader() = default;
  // Every point with from_ns <= time < to_ns of the measurements to replicate.
  virtual Result<WindowData> Read(int64_t from_ns, int64_t to_ns) = 0;
};

}  // namespace edgerepl::backfill
