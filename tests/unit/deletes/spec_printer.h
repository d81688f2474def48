// Readable DeleteSpecs in test failures.
#pragma once

#include <ostream>

#include "agent/deletes/delete_spec.h"
#include "agent/deletes/influxql_delete.h"

namespace edgerepl::deletes {

inline void PrintTo(const DeleteSpec& s, std::ostream* os) {
  *os << "{" << (s.kind == DeleteSpec::Kind::kDropSeries ? "dropSeries" : "delete")
      << " measurement=" << (s.measurement ? "\"" + *s.measurement + "\"" : "(all)") << " tags=[";
  for (const auto& [k, v] : s.tags) *os << "\"" << k << "\"=\"" << v << "\" ";
  *os << "] [" << s.start_ns << ", " << s.stop_ns << "]}";
}

}  // namespace edgerepl::deletes
