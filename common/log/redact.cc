#include "common/log/redact.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <mutex>

#include "common/codec/base64.h"
#include "common/codec/percent.h"

namespace edgerepl::log {
namespace {

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// Go's encoding/json (InfluxDB's answers) also escapes <, > and & as \u003c, \u003e, \u0026;
// some encoders write '/' as "\/" (either way of escaping).
std::string GoJsonEscape(std::string_view s, bool escape_slash) {
  std::string out;
  for (char c : JsonEscape(s)) {
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '/' && escape_slash) {
      out += "\\/";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EscapeSlashes(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '/') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string LowerHexEscapes(std::string s) {
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    if (s[i] != '%') continue;
    for (size_t j = i + 1; j <= i + 2; ++j) s[j] = static_cast<char>(std::tolower(s[j]));
  }
  return s;
}

std::string UrlSafe(std::string s) {
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return s;
}

// A base64 form of a secret that sits anywhere inside the encoded bytes ("Basic " +
// base64("user:" + token)): for each of the three alignments, the characters whose six bits all
// come from the secret, which are the same whatever surrounds it.
std::vector<std::string> Base64Cores(std::string_view secret) {
  std::vector<std::string> out;
  for (size_t lead = 0; lead < 3; ++lead) {
    std::string bytes(lead, '\0');
    bytes.append(secret);
    std::string encoded = codec::Base64Encode(bytes);
    const size_t first_bit = lead * 8, end_bit = (lead + secret.size()) * 8;
    const size_t first = (first_bit + 5) / 6, end = end_bit / 6;
    if (end <= first || end - first < kMinBase64Core) continue;
    out.push_back(encoded.substr(first, end - first));
  }
  return out;
}

}  // namespace

void SecretRegistry::Add(std::string_view secret) {
  if (secret.empty()) return;
  std::unique_lock lock(mu_);
  AddForms(secret);
  // "user:password" (an InfluxDB 1.x remote's token): the password alone is a secret too.
  size_t colon = secret.find(':');
  if (colon != std::string_view::npos && colon + 1 < secret.size()) {
    AddForms(secret.substr(colon + 1));
  }
}

void SecretRegistry::AddForms(std::string_view secret) {
  AddForm(std::string(secret));
  std::string percent = codec::PercentEncode(secret);
  AddForm(LowerHexEscapes(percent));
  AddForm(std::move(percent));
  AddForm(EscapeSlashes(JsonEscape(secret)));
  AddForm(JsonEscape(secret));
  AddForm(GoJsonEscape(secret, /*escape_slash=*/true));
  AddForm(GoJsonEscape(secret, /*escape_slash=*/false));
  for (std::string& core : Base64Cores(secret)) {
    AddForm(UrlSafe(core));
    AddForm(std::move(core));
  }
}

void SecretRegistry::AddAll(const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) Add(s);
}

void SecretRegistry::AddForm(std::string form) {
  if (std::find(forms_.begin(), forms_.end(), form) != forms_.end()) return;
  forms_.push_back(std::move(form));
  std::stable_sort(forms_.begin(), forms_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void SecretRegistry::ClearForTest() {
  std::unique_lock lock(mu_);
  forms_.clear();
}

size_t SecretRegistry::size() const {
  std::shared_lock lock(mu_);
  return forms_.size();
}

std::string SecretRegistry::Redact(std::string_view text) const {
  std::string out(text);
  std::shared_lock lock(mu_);
  for (const std::string& form : forms_) {
    size_t pos = 0;
    while ((pos = out.find(form, pos)) != std::string::npos) {
      out.replace(pos, form.size(), kRedacted);
      pos += kRedacted.size();
    }
  }
  return out;
}

SecretRegistry& GlobalSecrets() {
  static SecretRegistry* registry = new SecretRegistry();  // never destroyed: loggers outlive main
  return *registry;
}

}  // namespace edgerepl::log
