#include "common/httpserver/server.h"

#include <cctype>
#include <charconv>

namespace edgerepl::httpserver {

Result<ListenAddress> ParseListenAddress(std::string_view listen) {
  ListenAddress out;
  size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("listen address must be host:port, got \"" +
                                   std::string(listen) + "\"");
  }
  std::string_view host = listen.substr(0, colon);
  std::string_view port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int value = -1;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value < 0 ||
      value > 65535) {
    return Status::InvalidArgument("listen address has an invalid port: \"" + std::string(listen) +
                                   "\"");
  }
  out.host = std::string(host);
  out.port = value;
  return out;
}

namespace {
bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

std::string_view OriginFormTarget(std::string_view target) {
  size_t scheme = 0;
  if (StartsWithIgnoreCase(target, "http://")) scheme = 7;
  if (StartsWithIgnoreCase(target, "https://")) scheme = 8;
  if (scheme == 0) return target;
  size_t path = target.find_first_of("/?", scheme);
  if (path == std::string_view::npos) return "/";
  return target.substr(path);  // "?q" alone: the server puts the '/' in front
}

std::string_view OtherTransferCoding(std::string_view transfer_encoding) {
  while (!transfer_encoding.empty()) {
    size_t comma = transfer_encoding.find(',');
    std::string_view coding = Trim(transfer_encoding.substr(0, comma));
    transfer_encoding =
        comma == std::string_view::npos ? std::string_view() : transfer_encoding.substr(comma + 1);
    if (coding.empty()) continue;
    if (coding.size() != 7 || !StartsWithIgnoreCase(coding, "chunked")) return coding;
  }
  return {};
}

}  // namespace edgerepl::httpserver
