#include "agent/frontdoor/intent.h"

namespace edgerepl::frontdoor {
namespace {

// Payload: "EI1" | u32 target length | target | u32 header count | per header (u32 name length,
// name, u32 value length, value) | body. Little-endian.
constexpr std::string_view kTag = "EI1";

void PutString(std::string* out, std::string_view s) {
  const auto n = static_cast<uint32_t>(s.size());
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out->append(s);
}

bool GetU32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  *v = 0;
  for (int i = 0; i < 4; ++i) {
    *v |= static_cast<uint32_t>(static_cast<unsigned char>((*in)[i])) << (8 * i);
  }
  in->remove_prefix(4);
  return true;
}

bool GetString(std::string_view* in, std::string* out) {
  uint32_t n = 0;
  if (!GetU32(in, &n) || in->size() < n) return false;
  out->assign(in->substr(0, n));
  in->remove_prefix(n);
  return true;
}

}  // namespace

std::vector<std::string_view> EncodeIntent(const http::HttpRequest& local, std::string* prefix) {
  prefix->clear();
  prefix->append(kTag);
  PutString(prefix, local.target);
  const auto count = static_cast<uint32_t>(local.headers.size());
  for (int i = 0; i < 4; ++i) prefix->push_back(static_cast<char>((count >> (8 * i)) & 0xff));
  for (const auto& [name, value] : local.headers) {
    PutString(prefix, name);
    PutString(prefix, value);
  }
  return {*prefix, local.body};
}

Result<http::HttpRequest> DecodeIntent(std::string_view payload) {
  http::HttpRequest r;
  r.method = "POST";
  std::string_view in = payload;
  uint32_t count = 0;
  bool ok = in.substr(0, kTag.size()) == kTag;
  if (ok) in.remove_prefix(kTag.size());
  ok = ok && GetString(&in, &r.target) && GetU32(&in, &count);
  for (uint32_t i = 0; ok && i < count; ++i) {
    std::string name, value;
    ok = GetString(&in, &name) && GetString(&in, &value);
    if (ok) r.headers.emplace_back(std::move(name), std::move(value));
  }
  if (!ok) return Status::InvalidArgument("intent record does not decode");
  r.body.assign(in);
  return r;
}

IntentScope::IntentScope(IntentLog* log, const http::HttpRequest& local) : log_(log) {
  if (log_ == nullptr) return;
  std::string prefix;
  Result<uint64_t> id = log_->Begin(EncodeIntent(local, &prefix));
  if (id.ok()) id_ = *id;
}

IntentScope::~IntentScope() {
  if (id_) log_->Resolve(*id_);
}

}  // namespace edgerepl::frontdoor
