// The InfluxQL statements a v1 client deletes with, as the front door finds them in a /query
// request: DELETE and DROP SERIES (InfluxDB 1.x; both act on every retention policy of the
// request's database). Everything else in a query is left to the local database alone.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/deletes/delete_spec.h"
#include "common/status.h"

namespace edgerepl::deletes {

// The statements of a query string, split at ';' outside quotes, identifiers and regexes,
// trimmed, empty ones left out, in order.
std::vector<std::string> SplitStatements(std::string_view q);

// Whether a statement is a DELETE or DROP SERIES (keywords in any case).
bool IsDeleteStatement(std::string_view statement);

// A DELETE or DROP SERIES statement in the form the remote can be given:
//   DELETE [FROM <measurement>] [WHERE <cond>]      DROP SERIES [FROM <measurement>] [WHERE <cond>]
// where <cond> is conditions joined by AND (parentheses allowed around the whole or a part):
//   <tag> = '<value>'   (the tag key bare or "quoted", the value a 'string')
//   time <op> <t>       (op one of > >= < <= =; t an RFC 3339 'string', an integer of nanoseconds,
//                        or now(); each optionally +/- a duration literal like 30d, 1h, 15m, 10s,
//                        100ms, 5u or 5µ, 10ns)
// DROP SERIES takes no time condition (as InfluxDB refuses one). `now_ns` is the value of now(),
// the time the agent received the statement, so the remote deletes what the local did however
// late it applies it. Strict bounds become inclusive ones (time > t is time >= t+1).
// InvalidArgument with a message a client can act on for anything else: a regex, OR, !=, a
// field, a list of measurements, several FROM sources, ON <db>.
Result<DeleteSpec> ParseInfluxQLDelete(std::string_view statement, int64_t now_ns);

// One InfluxQL statement that deletes exactly `spec` (identifiers double-quoted, values
// single-quoted with InfluxQL's escapes, times as integer nanoseconds, a bound left out when it is
// the minimum or maximum). ParseInfluxQLDelete(RenderInfluxQL(s), any) == s.
std::string RenderInfluxQL(const DeleteSpec& spec);

}  // namespace edgerepl::deletes
