// Resource JSON as the API server returns it, for the operator's unit tests.
#pragma once

#include <cpprest/json.h>

#include <string>

namespace edgerepl::op::testing {

inline web::json::value Json(const std::string& text) {
  return web::json::value::parse(text);
}

inline std::string RemoteJson(const std::string& name, const std::string& spec) {
  return R"({"apiVersion":"edgerepl.io/v1alpha1","kind":"Remote","metadata":{"name":")" + name +
         R"(","namespace":"edge","uid":"uid-)" + name + R"(","generation":1},"spec":)" + spec + "}";
}

inline std::string ReplicationJson(const std::string& name, const std::string& spec,
                                   int generation = 1) {
  return R"({"apiVersion":"edgerepl.io/v1alpha1","kind":"Replication","metadata":{"name":")" +
         name + R"(","namespace":"edge","uid":"uid-)" + name + R"(","generation":)" +
         std::to_string(generation) + R"(},"spec":)" + spec + "}";
}

inline const char kRemoteSpec[] =
    R"({"url":"https://cloud.example.com","orgID":"0123456789abcdef","tokenSecretRef":{"name":"cloud-token","key":"token"},"protocol":"v2"})";
inline const char kReplicationSpec[] =
    R"({"remoteRef":{"name":"cloud"},"localBucket":"telegraf","remoteBucket":"edge"})";

}  // namespace edgerepl::op::testing
