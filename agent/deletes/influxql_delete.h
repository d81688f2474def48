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

// The statements of a query string, split at ';' outside quotes, identifiers, regexes and
// comments (-- and /* */), trimmed, empty ones left out, in order. An unterminated quote runs to
// the end of the string, as it does for InfluxDB's parser.
std::vector<std::string> SplitStatements(std::string_view q);

// Whether a statement is a DELETE or DROP SERIES (keywords in any case, comments before them
// skipped). DROP MEASUREMENT is not one: it is left to the local database alone.
bool IsDeleteStatement(std::string_view statement);

// A DELETE or DROP SERIES statement in the form the remote can be given:
//   DELETE [FROM <measurement>] [WHERE <cond>]      DROP SERIES [FROM <measurement>] [WHERE <cond>]
// with FROM or WHERE or both (InfluxDB refuses neither). <measurement> is bare or "quoted", or
// the regex /.*/, which names every measurement (how a delete of everything is said in InfluxQL).
// <cond> is conditions joined by AND (parentheses allowed around the whole or a part):
//   <tag> = '<value>'   (the tag key bare or "quoted", the value a 'string'; either side first)
//   time <op> <t>       (op one of > >= < <= =, either side first; t an RFC 3339 'string', also
//                        InfluxQL's 'YYYY-MM-DD HH:MM:SS[.f]' and 'YYYY-MM-DD' (UTC), an integer
//                        of nanoseconds, a duration literal, or now(); each optionally +/-
//                        duration literals (1h30m, 30d, 1w, 15m, 10s, 100ms, 5u or 5µ, 10ns) or
//                        integers)
// DROP SERIES takes no time condition (as InfluxDB refuses one). `now_ns` is the value of now(),
// the time the agent received the statement, so the remote deletes what the local did however
// late it applies it. Strict bounds become inclusive ones (time > t is time >= t+1); several
// bounds on one side combine to the tightest; bounds beyond InfluxDB's range are clamped to it.
// InvalidArgument with a message a client can act on for anything else: a regex (but /.*/ in
// FROM), OR, !=, a field, a list of measurements, a qualified (rp.m, db.rp.m) measurement,
// ON <db>, time conditions that select no time, bytes that are not UTF-8, a tag key the v2 API
// gives another meaning (_measurement, _field, _value, _time: tag_keys.h).
Result<DeleteSpec> ParseInfluxQLDelete(std::string_view statement, int64_t now_ns);

// One InfluxQL statement that deletes exactly `spec` (identifiers double-quoted, values
// single-quoted with InfluxQL's escapes, times as integer nanoseconds, a bound left out when it is
// the minimum or maximum; FROM /.*/ when there is nothing else to say).
// ParseInfluxQLDelete(RenderInfluxQL(s), any) == s for every spec the parsers and DecodeRecord
// produce (none has a tag key "time", which InfluxQL takes for the time: tag_keys.h).
std::string RenderInfluxQL(const DeleteSpec& spec);

}  // namespace edgerepl::deletes
