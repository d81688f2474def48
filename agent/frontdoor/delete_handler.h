// Deletes sent through the agent, for replications with replicateDeletes (docs/deletes.md): a v1
// DELETE or DROP SERIES on /query, and a v2 POST /api/v2/delete.
//
// The local database is given the delete in exactly the form it will be replicated in (now()
// resolved to the time the agent received it, agent/deletes), so the remote deletes what the
// local did however late the delete reaches it. Once the local applied it, it is queued on every
// replication that replicates deletes of that database or bucket, between the writes queued
// before and after it. What no such replication covers is not a replicated delete: the caller
// proxies it unchanged, as it does every other query.
//
// The local request is recorded in the intent journal (intent.h) until the delete is queued, as
// a local write is: a crash in between replays it at the next start, so a delete the local
// applied is never left out of the remote's queue.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "agent/frontdoor/routing.h"
#include "agent/frontdoor/write_handler.h"
#include "common/clock.h"
#include "common/httpserver/server.h"

namespace edgerepl::frontdoor {

class DeleteHandler {
 public:
  using RoutingFn = std::function<std::shared_ptr<const Routing>()>;

  // `clock` is borrowed and must outlive the handler.
  DeleteHandler(RoutingFn routing, const Clock& clock);

  // nullopt when the request is not a delete some replication replicates.
  std::optional<httpserver::Response> Handle(const httpserver::Request& request);

  // Whether a recorded local request is a delete this handler sent (Replay's, not the writes').
  static bool IsDeleteIntent(const http::HttpRequest& local);
  // A recorded delete left unanswered by a crash, handled again as it was sent (not recorded
  // again): deleting the same points twice is harmless, the queue append is what was missing.
  WriteHandler::ReplayOutcome Replay(http::HttpRequest local);

 private:
  std::optional<httpserver::Response> Dispatch(const httpserver::Request& request, bool record);
  std::optional<httpserver::Response> HandleV1(const Routing& routing,
                                               const httpserver::Request& request, bool record);
  std::optional<httpserver::Response> HandleV2(const Routing& routing,
                                               const httpserver::Request& request, bool record);

  const RoutingFn routing_;
  const Clock& clock_;
};

}  // namespace edgerepl::frontdoor
