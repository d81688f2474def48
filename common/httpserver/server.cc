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
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
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

std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (PercentDecode(key) != name) continue;
    return eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

}  // namespace edgerepl::httpserver
