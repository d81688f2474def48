// The admin port (DESIGN.md §6): /metrics, /healthz, /readyz, GET /api/v1/replications[/{id}],
// and POST /api/v1/replications/{id}/skip-head | retry-now, which need
// `Authorization: Bearer <adminToken>` when an admin token is configured.
#pragma once

#include <prometheus/registry.h>

#include <string>

#include "agent/admin/backend.h"
#include "common/httpserver/server.h"

namespace edgerepl::admin {

class AdminApi {
 public:
  // `backend` and `registry` are borrowed and must outlive this object.
  AdminApi(Backend& backend, const prometheus::Registry& registry, std::string version);

  httpserver::Response Handle(const httpserver::Request& request);

 private:
  // POST starts a backfill (JSON body, see backfill_request.h), DELETE cancels it.
  httpserver::Response Backfill(const httpserver::Request& request, std::string_view id);
  httpserver::Response Action(const httpserver::Request& request, std::string_view id,
                              std::string_view action);
  bool Authorized(const httpserver::Request& request) const;

  Backend& backend_;
  const prometheus::Registry& registry_;
  const std::string version_;
};

// {"code":…,"message":…} with the JSON content type.
httpserver::Response JsonError(int status, std::string_view code, std::string_view message);

}  // namespace edgerepl::admin
