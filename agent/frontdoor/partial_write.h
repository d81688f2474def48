// A 1.x partial write (DESIGN.md §2.4): influxd answers 400 "partial write: … dropped=N" when some
// lines of a body were refused (a field-type conflict, a point outside the retention policy) and
// stores the others, without saying which. The stored lines are found by writing parts of the
// body to the local InfluxDB again: a write of identical points is idempotent, so a part that is
// stored already changes nothing, and a part that is refused again holds a refused line.
//
// Method: bisection. A part answered 2xx is stored whole; a part answered 400 (or 422) is split in
// halves and each half is written again, down to single lines; a part whose "dropped=N" equals its
// line count is refused whole without splitting. A body of n lines with c refused lines costs at
// most about 2·c·log2(n) extra local writes (each smaller than the body), none when c = 0.
//
// Assumption: whether the local refuses a line depends on that line and the database's schema and
// retention policy, not on the lines written with it. This holds for type conflicts with fields
// that exist already and for retention; a conflict between two lines of the same body on a field
// that did not exist before may resolve differently when the lines are written apart.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/http/client.h"

namespace edgerepl::frontdoor {

// Reasons a refused line is counted under (edgerepl_write_refused_points_total{reason}).
inline constexpr std::string_view kRefusedFieldTypeConflict = "field_type_conflict";
inline constexpr std::string_view kRefusedRetention = "retention_policy";
inline constexpr std::string_view kRefusedParse = "parse";
inline constexpr std::string_view kRefusedOther = "other";
// A part the local answered neither 2xx nor 4xx (a timeout, a 5xx) twice: not known whether it
// was stored; counted, logged, not queued.
inline constexpr std::string_view kRefusedUndetermined = "undetermined";

// At most this many extra local writes per client write; what is left unresolved after them is
// counted `undetermined`. Bisection needs far fewer unless most lines of a large body conflict
// one by one.
inline constexpr int kMaxPartialWriteProbes = 2048;

// Whether a local answer is a partial write: 400 or 422 with "partial write" in the message.
bool IsPartialWrite(const http::HttpResponse& answer);

struct PartialWriteResult {
  std::string stored;  // the stored lines, in body order, each with its '\n'
  uint64_t stored_points = 0;
  std::map<std::string, uint64_t, std::less<>> refused;  // reason -> lines
  int probes = 0;                                        // extra local writes made
};

// Finds the lines of `body` (Normalize's output, which the local answered with a partial write)
// that the local stored, by writing parts of it with `local_request`'s target and headers.
// `first_answer` is the local's answer to the whole body.
PartialWriteResult ResolvePartialWrite(http::HttpClient& local,
                                       const http::HttpRequest& local_request,
                                       std::string_view body,
                                       const http::HttpResponse& first_answer);

}  // namespace edgerepl::frontdoor
