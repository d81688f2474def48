// The operator's own check of every rule the CRD schema and its CEL rules express, because many
// clusters run without CEL (before 1.25) or had the CRD applied without validation. A violation
// keeps the resource out of the agents' config and is reported as Ready=False, reason InvalidSpec
// (InvalidURL for a Remote's URL), with a message naming the field. The rules on values are the
// agent's own (config::Validate, on the resource translated to the agent's config, its errors
// renamed to the resource's fields); here is only what a resource adds: Secret references, and
// durations, times and counts that are text or signed before translation.
#pragma once

#include "operator/model/field_error.h"
#include "operator/model/resources.h"

namespace edgerepl::op {

// Every problem of a Remote's spec. Errors on spec.url are URL errors (reason InvalidURL).
FieldErrors ValidateRemote(const Remote& remote);

// Every problem of a Replication's spec. `remote` (nullable) is the referenced Remote when it
// exists, for the rules that depend on its protocol (a v1 remote has no bucket IDs).
FieldErrors ValidateReplication(const Replication& replication, const Remote* remote);

}  // namespace edgerepl::op
