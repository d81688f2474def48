#include "operator/controllers/admin_token.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdio>

#include "common/codec/hex.h"
#include "operator/controllers/secret_writer.h"
#include "operator/model/decode.h"

namespace edgerepl::op {
namespace {

const std::string* TokenOf(const Secret& secret) {
  auto it = secret.data.find(kAgentAdminTokenKey);
  return it == secret.data.end() || it->second.empty() ? nullptr : &it->second;
}

}  // namespace

Result<std::string> NewAdminToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return Status::Internal("cannot generate the admin token: RAND_bytes failed");
  }
  std::string hex =
      codec::HexEncode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
  OPENSSL_cleanse(bytes, sizeof bytes);
  return hex;
}

Result<std::string> EnsureAdminToken(ClusterWriter& writer, const std::string& ns,
                                     const Secret* cached) {
  if (cached != nullptr) {
    if (const std::string* token = TokenOf(*cached)) return *token;
  }
  Result<std::optional<web::json::value>> current = writer.GetSecret(ns, kAgentAdminSecretName);
  if (!current.ok()) return current.status();
  if (current->has_value()) {
    Secret secret = DecodeSecret(**current);
    if (const std::string* token = TokenOf(secret)) return *token;
  }
  Result<std::string> token = NewAdminToken();
  if (!token.ok()) return token.status();
  Result<SecretWrite> written =
      ApplyConfigSecret(writer, ns, kAgentAdminSecretName, {{kAgentAdminTokenKey, *token}});
  if (!written.ok()) return written.status();
  return token;
}

}  // namespace edgerepl::op
