// A scripted HTTP/1.1 server on 127.0.0.1 for sender tests. Each request gets the next scripted
// Reply (the last one repeats); gzip request bodies are inflated and the lines of every request
// answered 2xx are recorded, so tests check exactly what the "remote" took. Counts connections.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace edgerepl::testing {

struct FaultRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                                   // inflated when Content-Encoding: gzip
  std::string Header(const std::string& name) const;  // case-insensitive; "" when absent
};

struct Reply {
  int status = 204;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // wait before answering (slow remote)
  bool reset_mid_body = false;         // send headers and half the body, then RST the connection
  // When not empty: any request with a line containing this is refused with 400 and an InfluxDB
  // error JSON; otherwise the request gets `status`.
  std::string refuse_lines_containing;
};

class FaultServer {
 public:
  // Binds 127.0.0.1:0 and starts serving; with a PEM certificate and key it speaks TLS.
  FaultServer();
  FaultServer(const std::string& cert_file, const std::string& key_file);
  ~FaultServer();
  FaultServer(const FaultServer&) = delete;
  FaultServer& operator=(const FaultServer&) = delete;

  int port() const { return port_; }
  std::string url() const {
    return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
  }

  // Replies are used in order; the last one keeps answering. Default: 204.
  void Script(std::vector<Reply> replies);
  // A handler instead of a script (takes precedence).
  void SetHandler(std::function<Reply(const FaultRequest&)> handler);

  int connections() const { return connections_.load(); }
  size_t request_count() const;
  std::vector<FaultRequest> requests() const;
  // Every line of every request answered 2xx, in arrival order.
  std::vector<std::string> accepted_lines() const;

 private:
  void AcceptLoop();
  void Serve(int fd);
  Reply NextReply(const FaultRequest& request);

  void Listen();

  void* tls_ = nullptr;  // SSL_CTX*, kept opaque so tests need no OpenSSL headers
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int> open_fds_;
  std::deque<Reply> script_;
  std::function<Reply(const FaultRequest&)> handler_;
  std::vector<FaultRequest> requests_;
  std::vector<std::string> accepted_;
};

}  // namespace edgerepl::testing
