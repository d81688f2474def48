// A TCP relay on 127.0.0.1 in front of the kube-apiserver, so a test can cut every connection of
// the operator (its watches among them) and refuse new ones for a while, without restarting the
// server. TLS passes through untouched (the serving certificate names 127.0.0.1).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace edgerepl::reliability {

class TcpRelay {
 public:
  // Relays to 127.0.0.1:target_port from a free loopback port.
  explicit TcpRelay(int target_port);
  ~TcpRelay();
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  int port() const { return port_; }
  // Closes every relayed connection; while `refuse` holds, new ones are closed at once.
  void CutAll();
  void SetRefusing(bool refuse) { refusing_.store(refuse); }
  int connections_cut() const { return cut_.load(); }

 private:
  void AcceptLoop();
  void Pump(int client, int upstream);

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> refusing_{false};
  std::atomic<int> cut_{0};
  std::mutex mu_;
  std::set<int> open_;  // both ends of every live relayed connection
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

}  // namespace edgerepl::reliability
