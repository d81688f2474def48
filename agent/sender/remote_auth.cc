#include "agent/sender/remote_auth.h"

#include "common/codec/base64.h"
#include "common/codec/percent.h"

namespace edgerepl::sender {

void AddCredentials(std::string_view token, const UserCredentials& user, bool v1,
                    http::HttpRequest& req) {
  if (!user.username.empty()) {
    if (user.in_query) {
      req.target += req.target.find('?') == std::string::npos ? '?' : '&';
      req.target +=
          "u=" + codec::PercentEncode(user.username) + "&p=" + codec::PercentEncode(user.password);
    } else {
      req.headers.emplace_back("Authorization",
                               "Basic " + codec::Base64Encode(user.username + ":" + user.password));
    }
    return;
  }
  if (token.empty()) return;
  if (v1 && token.find(':') != std::string_view::npos) {
    req.headers.emplace_back("Authorization", "Basic " + codec::Base64Encode(token));
  } else {
    req.headers.emplace_back("Authorization", "Token " + std::string(token));
  }
}

}  // namespace edgerepl::sender
