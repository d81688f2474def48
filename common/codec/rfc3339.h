// RFC 3339 date-times in UTC ("2026-11-25T13:41:32.123Z"), the one writer of them for the agent's
// status, the config file, Kubernetes objects and the JSON log. Readers differ in how many
// fractional digits they take: Kubernetes' metav1.Time takes none, its MicroTime exactly six,
// InfluxDB up to nine; each caller names the form its reader expects.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace edgerepl::codec {

enum class Fraction {
  kNone,     // "…:32Z": metav1.Time (conditions, Events' first/lastTimestamp)
  kMillis,   // "…:32.123Z": the admin API
  kMicros,   // "…:32.123456Z": metav1.MicroTime (Leases, events.k8s.io) and the JSON log
  kTrimmed,  // "…:32.1234Z": as many of nine digits as the value needs, none when whole seconds
};

// Digits beyond the chosen fraction are cut, not rounded, so a time never reads as later than it
// was. Times before 1970 count down from the second that follows them, as the calendar does.
std::string FormatRfc3339(int64_t unix_nanos, Fraction fraction);
std::string FormatRfc3339(std::chrono::system_clock::time_point t, Fraction fraction);

}  // namespace edgerepl::codec
