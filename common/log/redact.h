// The set of secrets (remote tokens, the admin token, passwords) that must never leave the
// process: in a log line, a status answer, a metric label or an event. Redact() replaces every
// occurrence of a registered secret, and of its forms, with "[REDACTED]": percent-encoded (upper
// and lower case hex), JSON-escaped (plain and as Go escapes it), and base64 (standard and
// URL-safe) wherever it sits inside the encoded bytes, as in a Basic header. The one redactor of
// the agent: the sender's latestErrorMessage and the status answers go through it too.
#pragma once

#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace edgerepl::log {

inline constexpr std::string_view kRedacted = "[REDACTED]";
// A base64 form shorter than this is not registered: it would match unrelated text. A secret of
// 8 bytes or more always has a form this long.
inline constexpr size_t kMinBase64Core = 8;

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
  void AddForms(std::string_view secret);  // REQUIRES: mu_ held exclusively
  void AddForm(std::string form);          // REQUIRES: mu_ held exclusively

  mutable std::shared_mutex mu_;
  std::vector<std::string> forms_;  // longest first, so a secret containing another goes first
};

// The process-wide registry the default logger redacts with.
SecretRegistry& GlobalSecrets();

}  // namespace edgerepl::log
