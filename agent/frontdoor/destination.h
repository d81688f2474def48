// Where a write goes (routing.h's Destination), from its parameters and what is known of the
// local: v2 buckets as "db/rp" in front of a 1.x local, and the database's default retention
// policy when a replication covers the database.
#pragma once

#include "agent/frontdoor/routing.h"
#include "common/httpserver/server.h"

namespace edgerepl::frontdoor {

Destination ResolveDestination(const Routing& routing, Api api, const httpserver::Request& request);

}  // namespace edgerepl::frontdoor
