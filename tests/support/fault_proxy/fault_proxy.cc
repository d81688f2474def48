#include "tests/support/fault_proxy/fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace edgerepl::testing {
namespace {

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Closes with RST instead of FIN, as a crashed peer or a middlebox reset looks to the client.
void ResetAndClose(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  ::close(fd);
}

// Reads more bytes into `buf`; false on EOF or error.
bool ReadMore(int fd, std::string& buf) {
  char tmp[16384];
  ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
  if (n <= 0) return false;
  buf.append(tmp, static_cast<size_t>(n));
  return true;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// One HTTP/1.1 message as raw bytes (relayed unchanged) plus what the proxy needs to know.
struct Message {
  std::string raw;
  std::string start_line;
  bool close = false;  // "Connection: close" or a body delimited by closing the connection
};

// Reads one message from `fd`; `buf` keeps bytes read past its end (pipelining). nullopt on EOF
// before a complete message. `no_body` is for answers to HEAD and 1xx/204/304.
std::optional<Message> ReadMessage(int fd, std::string& buf, bool is_response,
                                   const std::string& request_method = "") {
  size_t header_end;
  while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (!ReadMore(fd, buf)) return std::nullopt;
  }
  Message m;
  std::string head = buf.substr(0, header_end + 4);
  m.start_line = head.substr(0, head.find("\r\n"));
  std::optional<size_t> content_length;
  bool chunked = false;
  size_t pos = m.start_line.size() + 2;
  while (pos < head.size() - 2) {
    size_t eol = head.find("\r\n", pos);
    std::string line = head.substr(pos, eol - pos);
    pos = eol + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = Lower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (name == "content-length") content_length = std::stoull(value);
    if (name == "transfer-encoding" && Lower(value).find("chunked") != std::string::npos) {
      chunked = true;
    }
    if (name == "connection" && Lower(value).find("close") != std::string::npos) m.close = true;
  }
  int status = 0;
  if (is_response && m.start_line.size() >= 12) status = std::atoi(m.start_line.c_str() + 9);
  bool no_body = is_response &&
                 (request_method == "HEAD" || status / 100 == 1 || status == 204 || status == 304);
  size_t body_start = header_end + 4;
  size_t end = body_start;
  if (no_body) {
    end = body_start;
  } else if (chunked) {
    size_t at = body_start;
    while (true) {
      size_t eol;
      while ((eol = buf.find("\r\n", at)) == std::string::npos) {
        if (!ReadMore(fd, buf)) return std::nullopt;
      }
      size_t size = std::stoull(buf.substr(at, eol - at), nullptr, 16);
      at = eol + 2;
      if (size == 0) {
        // Trailers end with an empty line.
        size_t trailer_end;
        while ((trailer_end = buf.find("\r\n", at)) == std::string::npos) {
          if (!ReadMore(fd, buf)) return std::nullopt;
        }
        while (trailer_end != at) {
          at = trailer_end + 2;
          while ((trailer_end = buf.find("\r\n", at)) == std::string::npos) {
            if (!ReadMore(fd, buf)) return std::nullopt;
          }
        }
        end = at + 2;
        break;
      }
      while (buf.size() < at + size + 2) {
        if (!ReadMore(fd, buf)) return std::nullopt;
      }
      at += size + 2;
    }
  } else if (content_length) {
    end = body_start + *content_length;
  } else if (is_response) {
    // No length: the body runs until the remote closes.
    while (ReadMore(fd, buf)) {
    }
    end = buf.size();
    m.close = true;
  }
  while (buf.size() < end) {
    if (!ReadMore(fd, buf)) return std::nullopt;
  }
  m.raw = buf.substr(0, end);
  buf.erase(0, end);
  return m;
}

int ConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

const char* Reason(int status) {
  switch (status) {
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

}  // namespace

std::string FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kForward:
      return "forward";
    case FaultKind::kStatus:
      return "status";
    case FaultKind::kReset:
      return "reset";
    case FaultKind::kStall:
      return "stall";
    case FaultKind::kLoseResponse:
      return "lose_response";
  }
  return "unknown";
}

FaultProxy::FaultProxy(int target_port, int listen_port) : target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(listen_port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 128) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("fault proxy: cannot listen: " + std::string(std::strerror(errno)));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

FaultProxy::~FaultProxy() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  accept_thread_.join();
  ::close(listen_fd_);
  std::vector<Worker> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (Worker& w : workers) w.thread.join();
}

void FaultProxy::SetDefault(FaultRule rule) {
  std::lock_guard<std::mutex> lock(mu_);
  default_rule_ = std::move(rule);
}

void FaultProxy::Script(std::vector<FaultRule> rules) {
  std::lock_guard<std::mutex> lock(mu_);
  for (FaultRule& r : rules) script_.push_back(std::move(r));
}

void FaultProxy::SetHandler(std::function<FaultRule(uint64_t)> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = std::move(handler);
}

void FaultProxy::ClearHandler() {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = nullptr;
}

std::map<std::string, uint64_t> FaultProxy::Counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

FaultRule FaultProxy::NextRule() {
  uint64_t n = requests_.fetch_add(1);
  std::lock_guard<std::mutex> lock(mu_);
  FaultRule rule = default_rule_;
  if (!script_.empty()) {
    rule = script_.front();
    script_.pop_front();
  } else if (handler_) {
    rule = handler_(n);
  }
  ++counts_[FaultKindName(rule.kind)];
  return rule;
}

void FaultProxy::AcceptLoop() {
  while (!stop_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stop_) return;
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.push_back(fd);
    // Finished workers are joined here so a long run with connection churn (crash loops) does
    // not accumulate threads.
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers_.push_back({std::thread([this, fd, done] {
                          Serve(fd);
                          *done = true;
                        }),
                        done});
  }
}

void FaultProxy::Serve(int client_fd) {
  int upstream = -1;
  std::string client_buf;
  std::string upstream_buf;
  // Sleeps in small steps so the destructor never waits for a long stall.
  auto sleep_for = [this](std::chrono::milliseconds d) {
    auto until = std::chrono::steady_clock::now() + d;
    while (!stop_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
          std::chrono::milliseconds(20), std::chrono::duration_cast<std::chrono::milliseconds>(
                                             until - std::chrono::steady_clock::now()) +
                                             std::chrono::milliseconds(1)));
    }
  };
  auto forget = [this](int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  };
  auto track = [this](int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.push_back(fd);
  };
  bool reset = false;
  while (!stop_) {
    std::optional<Message> request = ReadMessage(client_fd, client_buf, false);
    if (!request) break;
    FaultRule rule = NextRule();
    if (rule.delay.count() > 0) sleep_for(rule.delay);
    if (rule.kind == FaultKind::kReset) {
      reset = true;
      break;
    }
    if (rule.kind == FaultKind::kStall) {
      sleep_for(rule.stall);
      break;
    }
    if (rule.kind == FaultKind::kStatus) {
      std::string body = "{\"code\":\"unavailable\",\"message\":\"injected by fault proxy\"}";
      std::string answer = "HTTP/1.1 " + std::to_string(rule.status) + " " + Reason(rule.status) +
                           "\r\nContent-Type: application/json\r\n";
      if (!rule.retry_after.empty()) answer += "Retry-After: " + rule.retry_after + "\r\n";
      answer += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      if (!SendAll(client_fd, answer)) break;
      continue;
    }
    // Forward (also for kLoseResponse). A kept-alive upstream connection may have been closed by
    // the remote meanwhile: one retry on a fresh connection, as an HTTP client would.
    std::string method = request->start_line.substr(0, request->start_line.find(' '));
    std::optional<Message> response;
    for (int attempt = 0; attempt < 2 && !response; ++attempt) {
      if (upstream < 0) {
        upstream = ConnectLoopback(target_port_);
        if (upstream < 0) break;
        track(upstream);
        upstream_buf.clear();
      }
      if (SendAll(upstream, request->raw)) {
        response = ReadMessage(upstream, upstream_buf, true, method);
      }
      if (!response) {
        forget(upstream);
        ::close(upstream);
        upstream = -1;
      }
    }
    if (!response) {
      // The remote is down: the agent sees its connection reset, as with no proxy at all.
      reset = true;
      break;
    }
    const std::string& status_line = response->start_line;
    if (status_line.size() >= 10 && status_line[9] == '2') ++remote_accepted_;
    if (rule.kind == FaultKind::kLoseResponse) {
      reset = true;
      break;
    }
    if (!SendAll(client_fd, response->raw)) break;
    if (response->close) {
      forget(upstream);
      ::close(upstream);
      upstream = -1;
    }
    if (request->close) break;
  }
  if (upstream >= 0) {
    forget(upstream);
    ::close(upstream);
  }
  forget(client_fd);
  if (reset) {
    ResetAndClose(client_fd);
  } else {
    ::close(client_fd);
  }
}

}  // namespace edgerepl::testing
