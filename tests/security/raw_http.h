// Raw HTTP/1.1 exchanges for attacks no well-behaved client library would send: bytes as given,
// slowly if asked, and whatever comes back until the server closes or stops sending.
#pragma once

#include <chrono>
#include <string>

namespace edgerepl::security {

// Connects to 127.0.0.1:port; -1 on failure. Reads time out after `timeout`.
int Connect(int port, std::chrono::milliseconds timeout = std::chrono::seconds(30));
// Sends all of `bytes`; false when the peer closed first.
bool SendAll(int fd, std::string_view bytes);
// Reads until the peer closes, a read times out, or `max_bytes` arrived.
std::string ReadAll(int fd, size_t max_bytes = 1 << 20);

// Sends `raw` and returns everything the server answers (empty: no answer at all).
std::string Exchange(int port, const std::string& raw,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));
// The status code of the first answer in `response` (0 when there is none).
int StatusOf(const std::string& response);

}  // namespace edgerepl::security
