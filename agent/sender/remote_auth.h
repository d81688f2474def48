// How a remote write request carries the remote's credentials. Kept apart from the sender's loop:
// the request's target and body are the sender's business, who the agent is to the remote is
// this file's.
#pragma once

#include <string>
#include <string_view>

#include "common/http/client.h"

namespace edgerepl::sender {

// An InfluxDB 1.x user (protocol v1 only). Empty username: none.
struct UserCredentials {
  std::string username;
  std::string password;  // never logged, never in status or metrics
  // false: HTTP Basic auth. true: the `u` and `p` query parameters, which every 1.x reads (before
  // 1.8 some proxies in front of it pass no Authorization header).
  bool in_query = false;
  bool operator==(const UserCredentials&) const = default;
};

// Adds the credentials to `req`: a user as Basic auth or `u`/`p` parameters; else a token as
// `Authorization: Token …`, except a v1 token of the form "user:password", sent as Basic auth
// (InfluxDB 1.x before 1.8 knows no token scheme). Nothing at all when neither is set.
void AddCredentials(std::string_view token, const UserCredentials& user, bool v1,
                    http::HttpRequest& req);

}  // namespace edgerepl::sender
