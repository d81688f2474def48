#include "operator/controllers/http_agent_client.h"

namespace edgerepl::op {

Result<std::string> HttpAgentClient::GetReplications(const std::string& ip, int port,
                                                     const std::string& admin_token) {
  std::string host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
  std::string base = "http://" + host + ":" + std::to_string(port);
  http::HttpClient* client = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = clients_.find(base);
    if (it == clients_.end()) {
      // Pod IPs churn; dropping idle clients now and then bounds the map.
      if (clients_.size() >= 512) clients_.clear();
      http::HttpClientOptions options;
      options.base_url = base;
      options.timeout = timeout_;
      Result<http::HttpClientPtr> made = factory_(options);
      if (!made.ok()) return made.status();
      it = clients_.emplace(base, std::move(*made)).first;
    }
    client = it->second.get();
  }
  http::HttpRequest request;
  request.method = "GET";
  request.target = "/api/v1/replications";
  request.headers.push_back({"Accept", "application/json"});
  if (!admin_token.empty()) request.headers.push_back({"Authorization", "Bearer " + admin_token});
  Result<http::HttpResponse> response = client->Send(request);
  if (!response.ok()) {
    return Status::Unavailable(base + ": " + response.status().message());
  }
  if (response->status != 200) {
    return Status::Unavailable(base + "/api/v1/replications answered " +
                               std::to_string(response->status));
  }
  return std::move(response->body);
}

}  // namespace edgerepl::op
