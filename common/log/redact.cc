#include "common/log/redact.h"

#include <algorithm>
#include <cstdio>
#include <mutex>

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

}  // namespace

void SecretRegistry::Add(std::string_view secret) {
  if (secret.empty()) return;
  std::unique_lock lock(mu_);
  AddForm(std::string(secret));
  AddForm(codec::PercentEncode(secret));
  AddForm(JsonEscape(secret));
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
