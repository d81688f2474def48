// The set of secrets (remote tokens, the admin token) that must never reach a log line.
// Redact() replaces every occurrence of a registered secret, and of its URL-encoded and
// JSON-escaped forms, with "[REDACTED]".
#pragma once

#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace edgerepl::log {

inline constexpr std::string_view kRedacted = "[REDACTED]";

class SecretRegistry {
 public:
  // Registers a secret (empty ones are ignored; adding twice is harmless). Secrets are never
  // removed: a token rotated out of the config may still sit in a message built earlier.
  void Add(std::string_view secret);
  void AddAll(const std::vector<std::string>& secrets);
  void ClearForTest();

  // Thread-safe; cheap when no secret is registered.
  std::string Redact(std::string_view text) const;
  size_t size() const;

 private:
  void AddForm(std::string form);  // REQUIRES: mu_ held exclusively

  mutable std::shared_mutex mu_;
  std::vector<std::string> forms_;  // longest first, so a secret containing another goes first
};

// The process-wide registry the default logger redacts with.
SecretRegistry& GlobalSecrets();

}  // namespace edgerepl::log
