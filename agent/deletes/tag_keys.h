// Tag keys one API gives another meaning, so a delete naming them could not be repeated exactly
// at a remote of the other protocol: InfluxQL takes `time` (in any case) for the time, and the v2
// predicate takes _measurement for the measurement and refuses _field, _value and _time.
#pragma once

#include <string_view>

namespace edgerepl::deletes {

// Why `key` cannot be carried from one API to the other; empty when it can.
std::string_view UnportableTagKey(std::string_view key);

}  // namespace edgerepl::deletes
