// InfluxDB line protocol for the agent's write path: validate and normalize a body, filter by
// measurement, split into batches, and InfluxDB's error JSON. docs/line-protocol.md says what
// is accepted and why.
#pragma once

#include "agent/lineprotocol/error_json.h"
#include "agent/lineprotocol/measurement.h"
#include "agent/lineprotocol/normalize.h"
#include "agent/lineprotocol/precision.h"
#include "agent/lineprotocol/split.h"
