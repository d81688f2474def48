// A problem with one field of a resource, named by its path in the object ("spec.batch.maxBytes"),
// so a user can find it from `kubectl describe`. Never carries a secret value.
#pragma once

#include <string>
#include <vector>

namespace edgerepl::op {

struct FieldError {
  std::string field;  // e.g. "spec.remoteBucket"; empty for the object as a whole
  std::string message;
  bool operator==(const FieldError&) const = default;
  std::string ToString() const { return field.empty() ? message : field + ": " + message; }
};

using FieldErrors = std::vector<FieldError>;

// "spec.url: …; spec.orgID: …" (every error, in order).
std::string JoinErrors(const FieldErrors& errors);

}  // namespace edgerepl::op
