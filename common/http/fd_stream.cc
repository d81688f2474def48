#include "common/http/fd_stream.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>

namespace edgerepl::http {
namespace {

std::atomic<uint64_t> recv_calls{0};

}  // namespace

uint64_t FdStream::RecvCalls() {
  return recv_calls.load(std::memory_order_relaxed);
}

FdStream::FdStream(int fd) : fd_(fd) {
  int flags = ::fcntl(fd_, F_GETFL, 0);
  if (flags >= 0) ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
}

FdStream::~FdStream() {
  if (fd_ >= 0) ::close(fd_);
}

void FdStream::Shutdown() {
  ::shutdown(fd_, SHUT_RDWR);
}

bool FdStream::PeerClosedOrDirty() const {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

bool FdStream::Wait(short events, boost::system::error_code& ec) {
  for (;;) {
    auto now = Clock::now();
    if (now >= deadline_) {
      ec = boost::beast::error::timeout;
      return false;
    }
    int ms = INT_MAX;
    if (deadline_ != Clock::time_point::max()) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - now).count();
      ms = left > INT_MAX ? INT_MAX : static_cast<int>(left);
    }
    pollfd p{fd_, events, 0};
    int n = ::poll(&p, 1, ms);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) {
      ec = boost::system::error_code(errno, boost::system::system_category());
      return false;
    }
  }
}

size_t FdStream::Read(void* data, size_t size, boost::system::error_code& ec) {
  for (;;) {
    ssize_t n = ::recv(fd_, data, size, 0);
    recv_calls.fetch_add(1, std::memory_order_relaxed);
    if (n > 0) {
      ec = {};
      return static_cast<size_t>(n);
    }
    if (n == 0) {
      ec = boost::asio::error::eof;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      ec = boost::system::error_code(errno, boost::system::system_category());
      return 0;
    }
    if (!Wait(POLLIN, ec)) return 0;
  }
}

size_t FdStream::Write(iovec* iov, size_t count, boost::system::error_code& ec) {
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  for (;;) {
    ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n >= 0) {
      ec = {};
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      ec = boost::system::error_code(errno, boost::system::system_category());
      return 0;
    }
    if (!Wait(POLLOUT, ec)) return 0;
  }
}

}  // namespace edgerepl::http
