#include "tests/reliability/http_post.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace edgerepl::reliability {
namespace {

// Decodes a chunked body; returns false when it is incomplete.
bool Dechunk(const std::string& raw, std::string* out) {
  size_t pos = 0;
  while (true) {
    size_t eol = raw.find("\r\n", pos);
    if (eol == std::string::npos) return false;
    size_t len = std::strtoul(raw.substr(pos, eol - pos).c_str(), nullptr, 16);
    if (len == 0) return true;
    if (raw.size() < eol + 2 + len) return false;
    out->append(raw, eol + 2, len);
    pos = eol + 2 + len + 2;
  }
}

}  // namespace

HttpResult HttpCall(int port, const std::string& method, const std::string& target,
                    const std::string& body, std::chrono::milliseconds timeout,
                    const std::string& extra_headers) {
  HttpResult result;
  auto start = std::chrono::steady_clock::now();
  auto finish = [&] {
    result.latency = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    return result;
  };
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return finish();
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return finish();
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n" + extra_headers + "\r\n" + body;
  size_t sent = 0;
  while (sent < req.size()) {
    ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      return finish();
    }
    sent += static_cast<size_t>(n);
  }
  std::string resp;
  char buf[65536];
  auto deadline = start + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
    // Stop as soon as the message is complete: some servers keep the connection open briefly.
    size_t split = resp.find("\r\n\r\n");
    if (split == std::string::npos) continue;
    std::string lower;
    for (size_t i = 0; i < split; ++i) lower.push_back(static_cast<char>(std::tolower(resp[i])));
    size_t cl = lower.find("content-length:");
    if (cl != std::string::npos) {
      size_t len = std::strtoul(lower.c_str() + cl + 15, nullptr, 10);
      if (resp.size() >= split + 4 + len) break;
    } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
      std::string ignored;
      if (Dechunk(resp.substr(split + 4), &ignored)) break;
    } else if (lower.compare(9, 3, "204") == 0) {
      break;
    }
  }
  ::close(fd);
  size_t split = resp.find("\r\n\r\n");
  // A status line without the end of its headers (killed mid-answer) is no answer at all.
  if (resp.compare(0, 5, "HTTP/") != 0 || split == std::string::npos) return finish();
  result.status = std::atoi(resp.c_str() + resp.find(' ') + 1);
  result.headers = resp.substr(0, split);
  std::string raw = resp.substr(split + 4);
  std::string lower_headers;
  for (char c : result.headers) lower_headers.push_back(static_cast<char>(std::tolower(c)));
  if (lower_headers.find("transfer-encoding: chunked") != std::string::npos) {
    Dechunk(raw, &result.body);
  } else {
    result.body = raw;
  }
  return finish();
}

}  // namespace edgerepl::reliability
