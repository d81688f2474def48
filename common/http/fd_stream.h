// A connected socket as a Beast SyncReadStream/SyncWriteStream with a deadline. Asio's own
// blocking socket operations wait in poll() without a timeout (SO_RCVTIMEO is ignored), so a
// stalled peer would hold a thread forever; here every read and write waits at most until the
// deadline and then fails with beast::error::timeout. Shutdown() from another thread wakes a
// blocked read, which then sees end of stream. Used by the inbound server and the plain-HTTP
// client so both own their threads and sockets and pay no hand-off per request.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <cstddef>

namespace edgerepl::http {

// Room a connection's read buffer gets up front: a loopback or LAN socket hands over this much per
// recv under load.
inline constexpr size_t kReadChunkBytes = 64 * 1024;

class FdStream {
 public:
  using Clock = std::chrono::steady_clock;

  // Takes ownership of `fd` (a connected stream socket) and makes it non-blocking.
  explicit FdStream(int fd);
  ~FdStream();
  FdStream(const FdStream&) = delete;
  FdStream& operator=(const FdStream&) = delete;

  int fd() const { return fd_; }
  void set_deadline(Clock::time_point deadline) { deadline_ = deadline; }
  void set_timeout(std::chrono::milliseconds timeout) { deadline_ = Clock::now() + timeout; }

  // Wakes a thread blocked in read_some or write_some (it sees end of stream or a broken pipe).
  void Shutdown();
  // True when the peer has closed or sent unsolicited bytes: an idle keep-alive connection that
  // must not be reused.
  bool PeerClosedOrDirty() const;
  // recv calls made by every FdStream in the process. A regression to small reads (a 50 kB body in
  // a hundred calls) costs the agent CPU on every write and shows only here.
  static uint64_t RecvCalls();

  // Beast stream requirements.
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b = *it;
      if (b.size() > 0) return Read(b.data(), b.size(), ec);
    }
    ec = {};
    return 0;
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
    // Gathered into one sendmsg so a response's head and body leave in one segment train.
    iovec iov[kMaxIov];
    size_t count = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && count < kMaxIov; ++it) {
      boost::asio::const_buffer b = *it;
      if (b.size() == 0) continue;
      iov[count].iov_base = const_cast<void*>(b.data());
      iov[count].iov_len = b.size();
      ++count;
    }
    if (count == 0) {
      ec = {};
      return 0;
    }
    return Write(iov, count, ec);
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers) {
    boost::system::error_code ec;
    size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  static constexpr size_t kMaxIov = 16;

  size_t Read(void* data, size_t size, boost::system::error_code& ec);
  size_t Write(iovec* iov, size_t count, boost::system::error_code& ec);
  // Waits for `events` until the deadline; false with `ec` set on timeout or error.
  bool Wait(short events, boost::system::error_code& ec);

  int fd_;
  Clock::time_point deadline_ = Clock::time_point::max();
};

}  // namespace edgerepl::http
