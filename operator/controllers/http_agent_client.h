// AgentClient over the outbound HTTP seam: one keep-alive client per agent address.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>

#include "common/http/client.h"
#include "operator/controllers/cluster.h"

namespace edgerepl::op {

class HttpAgentClient : public AgentClient {
 public:
  using Factory = std::function<Result<http::HttpClientPtr>(const http::HttpClientOptions&)>;
  // `factory` builds a client per base URL (the cpprest adapter in production).
  HttpAgentClient(Factory factory, std::chrono::milliseconds timeout)
      : factory_(std::move(factory)), timeout_(timeout) {}

  // Non-200 answers are errors naming the status code.
  Result<std::string> GetReplications(const std::string& ip, int port,
                                      const std::string& admin_token) override;

 private:
  Factory factory_;
  std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::map<std::string, http::HttpClientPtr> clients_;
};

}  // namespace edgerepl::op
