// The field paths errors are named by, as a file spells them: `replications[1].backoff.max`.
#pragma once

#include <string>
#include <string_view>

namespace edgerepl::config {

inline std::string JoinPath(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

inline std::string IndexPath(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// A value quoted in a message (never a secret's: callers quote names, ids and URLs' parts only).
inline std::string Quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

}  // namespace edgerepl::config
