// A delete as edgerepl replicates it (docs/deletes.md): what the local database was asked to
// delete, in the one form both InfluxQL (v1 DELETE / DROP SERIES) and the v2 delete API can
// express, so a delete made through either API is applied at a remote of either protocol.
//
// It travels through a replication's queue as a record of its own, between the writes queued
// before and after it, so the sender applies it at the remote in that order. The record's payload
// is one line, "#edgerepl-delete <json>\n", with a point count of 0. A line starting with '#' is a
// comment in line protocol: a build that does not know the record would send it as a write the
// remote ignores, never as data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace edgerepl::deletes {

// InfluxDB's own bounds of a timestamp (models.MinNanoTime, models.MaxNanoTime): a delete
// without a lower or upper time bound covers all time.
inline constexpr int64_t kMinTimeNs = -9223372036854775806;
inline constexpr int64_t kMaxTimeNs = 9223372036854775806;

inline constexpr std::string_view kDeleteMarker = "#edgerepl-delete ";

// Names and values are UTF-8: InfluxDB reads statements and JSON as UTF-8, and the parsers refuse
// other bytes rather than carry a delete InfluxDB would have applied to other names.
struct DeleteSpec {
  // DROP SERIES also removes the series from a v1 database's index; at a v2 remote, which has no
  // such statement, it is a delete over all time. A DROP SERIES always covers all time (InfluxDB
  // refuses one with a time condition; DecodeRecord refuses a record with one).
  enum class Kind { kDelete, kDropSeries };
  Kind kind = Kind::kDelete;
  std::optional<std::string> measurement;  // nullopt: every measurement
  // Tag key = value, every one must hold (the only predicate both APIs share), in the order given.
  // No key is one either API gives another meaning (tag_keys.h).
  std::vector<std::pair<std::string, std::string>> tags;
  int64_t start_ns = kMinTimeNs;  // inclusive
  int64_t stop_ns = kMaxTimeNs;   // inclusive
  bool operator==(const DeleteSpec&) const = default;
};

// The queue record of a delete, and back: {"kind":"delete"|"dropSeries","measurement":"m" (absent
// for every measurement),"tags":[["k","v"],...],"start":<int64>,"stop":<int64>}, the times as JSON
// integers, never doubles. Decode: InvalidArgument when `payload` is not a delete record this
// version wrote (an unknown member, a time outside InfluxDB's range, start > stop included).
std::string EncodeRecord(const DeleteSpec& spec);
// Cheap: whether a queued payload is a delete (the batcher asks for every record).
inline bool IsDeleteRecord(std::string_view payload) {
  return payload.substr(0, kDeleteMarker.size()) == kDeleteMarker;
}
Result<DeleteSpec> DecodeRecord(std::string_view payload);

}  // namespace edgerepl::deletes
