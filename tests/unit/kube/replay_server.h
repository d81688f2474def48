// A tiny HTTP/1.1 server on 127.0.0.1 that answers each request with whatever the test's handler
// returns, including chunked bodies written piece by piece with pauses (so a watch event really
// arrives split across reads) and connections dropped mid-body. One connection per request.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace edgerepl::kube::testing {

struct ReplayRequest {
  std::string method;
  std::string target;  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string Header(const std::string& name) const;  // case-insensitive; "" when absent
  // The value of a query parameter ("" when absent), percent-decoded.
  std::string Query(const std::string& name) const;
  std::string Path() const { return target.substr(0, target.find('?')); }
};

struct ReplayAnswer {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Length when `chunks` is empty
  // Chunked transfer: each piece written on its own after `pause`.
  std::vector<std::string> chunks;
  std::chrono::milliseconds pause{20};
  bool drop_before_end = false;            // close without the final chunk (a broken connection)
  std::chrono::milliseconds hold_open{0};  // wait before ending a chunked body
};

class ReplayServer {
 public:
  explicit ReplayServer(std::function<ReplayAnswer(const ReplayRequest&)> handler);
  ~ReplayServer();

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<ReplayRequest> requests() const;

 private:
  void Serve(int fd);

  std::function<ReplayAnswer(const ReplayRequest&)> handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int> fds_;
  std::vector<ReplayRequest> requests_;
};

}  // namespace edgerepl::kube::testing
