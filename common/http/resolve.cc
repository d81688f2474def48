#include "common/http/resolve.h"

#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

namespace edgerepl::http {
namespace {

// Shared by the caller and the lookup thread; whichever lets go last frees the answer.
struct Lookup {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;          // GUARDED_BY(mu)
  int rc = 0;                 // GUARDED_BY(mu)
  addrinfo* found = nullptr;  // GUARDED_BY(mu); owned until taken
  ~Lookup() {
    if (found != nullptr) ::freeaddrinfo(found);
  }
};

addrinfo TcpHints(int extra_flags) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | extra_flags;
  return hints;
}

Status LookupError(const std::string& host, int rc) {
  return Status::Unavailable("resolving " + host + ": " + ::gai_strerror(rc));
}

}  // namespace

Result<AddrInfoPtr> ResolveTcp(const std::string& host, const std::string& port,
                               std::chrono::steady_clock::time_point deadline,
                               const LookupFn& lookup) {
  // An address needs no lookup and no thread (the local InfluxDB at 127.0.0.1, a remote given
  // by IP).
  addrinfo numeric = TcpHints(AI_NUMERICHOST);
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), port.c_str(), &numeric, &found);
  if (rc == 0) return AddrInfoPtr(found, ::freeaddrinfo);
  if (rc != EAI_NONAME) return LookupError(host, rc);

  auto state = std::make_shared<Lookup>();
  LookupFn fn = lookup ? lookup
                       : LookupFn([](const char* h, const char* p, const addrinfo* hints,
                                     addrinfo** out) { return ::getaddrinfo(h, p, hints, out); });
  try {
    std::thread([state, fn = std::move(fn), host, port] {
      addrinfo hints = TcpHints(0);
      addrinfo* out = nullptr;
      int r = fn(host.c_str(), port.c_str(), &hints, &out);
      std::lock_guard<std::mutex> lock(state->mu);
      state->rc = r;
      state->found = r == 0 ? out : nullptr;
      state->done = true;
      state->cv.notify_all();
    }).detach();
  } catch (const std::system_error& e) {
    // Out of threads (RLIMIT_NPROC, memory): a failed request, not a crash of the sender.
    return Status::Unavailable("resolving " + host + ": cannot start the lookup: " + e.what());
  }

  std::unique_lock<std::mutex> lock(state->mu);
  if (!state->cv.wait_until(lock, deadline, [&] { return state->done; })) {
    return Status::Unavailable("resolving " + host + ": no answer within the request timeout");
  }
  if (state->rc != 0) return LookupError(host, state->rc);
  AddrInfoPtr out(state->found, ::freeaddrinfo);
  state->found = nullptr;
  return out;
}

}  // namespace edgerepl::http
