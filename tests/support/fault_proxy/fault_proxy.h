// An HTTP/1.1 proxy on 127.0.0.1 between the agent and a real remote that injects faults per
// request: latency, connection resets, stalls, 5xx and 429 answers (with Retry-After), and lost
// answers (the remote took the write, the agent never hears so). Unlike the fault server, writes
// that pass through reach a real database, so exact-accounting tests can count what arrived.
//
// What happens to each request is a FaultRule: scripted rules are used first, in order; after
// that the handler (if set) decides, else the default rule. Rules change while traffic flows.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace edgerepl::testing {

enum class FaultKind {
  kForward,       // pass to the remote and relay its answer
  kStatus,        // answer `status` (with Retry-After when set) without asking the remote
  kReset,         // read the request, then reset the connection (RST) without an answer
  kStall,         // read the request, say nothing for `stall`, then close the connection
  kLoseResponse,  // forward, let the remote accept, then reset instead of relaying its answer
};

struct FaultRule {
  FaultKind kind = FaultKind::kForward;
  std::chrono::milliseconds delay{0};  // latency added before acting
  int status = 503;                    // kStatus
  std::string retry_after;             // kStatus: Retry-After header value when not empty
  std::chrono::milliseconds stall{0};  // kStall

  static FaultRule Forward(std::chrono::milliseconds delay = {}) {
    FaultRule r;
    r.delay = delay;
    return r;
  }
  static FaultRule Status(int status, std::string retry_after = "") {
    FaultRule r;
    r.kind = FaultKind::kStatus;
    r.status = status;
    r.retry_after = std::move(retry_after);
    return r;
  }
  static FaultRule Reset() { return Of(FaultKind::kReset); }
  static FaultRule Stall(std::chrono::milliseconds stall) {
    FaultRule r;
    r.kind = FaultKind::kStall;
    r.stall = stall;
    return r;
  }
  static FaultRule LoseResponse() { return Of(FaultKind::kLoseResponse); }
  static FaultRule Of(FaultKind kind) {
    FaultRule r;
    r.kind = kind;
    return r;
  }
};

std::string FaultKindName(FaultKind kind);

class FaultProxy {
 public:
  // Proxies to 127.0.0.1:target_port; binds 127.0.0.1:0 (or `listen_port` when not 0).
  explicit FaultProxy(int target_port, int listen_port = 0);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void SetDefault(FaultRule rule);
  void Script(std::vector<FaultRule> rules);  // appended to the scripted rules still pending
  // Decides for every request not covered by the script; `n` counts requests from 0.
  void SetHandler(std::function<FaultRule(uint64_t n)> handler);
  void ClearHandler();

  // Requests seen, by the kind of rule applied ("forward", "status", ...).
  std::map<std::string, uint64_t> Counts() const;
  uint64_t requests() const { return requests_.load(); }
  // Forwarded requests the remote answered 2xx (including lost answers).
  uint64_t remote_accepted() const { return remote_accepted_.load(); }

 private:
  void AcceptLoop();
  void Serve(int client_fd);
  FaultRule NextRule();

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> remote_accepted_{0};
  std::thread accept_thread_;
  mutable std::mutex mu_;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Worker> workers_;
  std::vector<int> open_fds_;
  std::deque<FaultRule> script_;
  FaultRule default_rule_;
  std::function<FaultRule(uint64_t)> handler_;
  std::map<std::string, uint64_t> counts_;
};

}  // namespace edgerepl::testing
