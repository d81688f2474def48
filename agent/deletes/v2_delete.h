// The v2 delete API (POST /api/v2/delete): a JSON body {"start", "stop", "predicate"} whose
// predicate is InfluxDB's delete predicate syntax, key="value" conditions joined by AND, where
// _measurement names the measurement.
#pragma once

#include <string>
#include <string_view>

#include "agent/deletes/delete_spec.h"
#include "common/status.h"

namespace edgerepl::deletes {

// start and stop are required RFC 3339 times (inclusive, as InfluxDB deletes); the predicate is
// optional. Members are matched in any case, as Go's JSON decoding does. The predicate is lexed as
// InfluxQL: keys bare or "quoted" (a bare InfluxQL keyword must be quoted; `name` is the one
// InfluxDB allows bare), values "quoted", bare words, numbers or true/false, rules joined by AND
// (any case) with parentheses allowed. InvalidArgument naming the member for a body InfluxDB would
// refuse or one this cannot carry over (OR, !=, _field, _value, _time, a regex, two different
// _measurement values, a key "time", which InfluxQL takes for the time, start after stop, bytes
// that are not UTF-8).
Result<DeleteSpec> ParseV2Delete(std::string_view json_body);

// The JSON body that deletes exactly `spec` at a v2 remote (times in RFC 3339 with nanoseconds,
// UTC). ParseV2Delete(RenderV2Body(s)) == s, except that a DROP SERIES comes back as a delete.
std::string RenderV2Body(const DeleteSpec& spec);

}  // namespace edgerepl::deletes
