// The write path's side of the intent journal (agent/queue/intent_journal.h): a local write is
// recorded before it is sent and resolved once its answer was handled, so a crash in between is
// repaired at the next start (intent_recovery.h) instead of leaving the local database holding
// points no queue has.
//
// The record is the local request itself (target, forwarded headers, normalized body): replaying
// it is what a retrying client would send, and writes of identical points are idempotent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http/client.h"
#include "common/status.h"

namespace edgerepl::frontdoor {

// Where intents are recorded. Implementations count and log their own failures.
class IntentLog {
 public:
  virtual ~IntentLog() = default;
  // Records a write about to be sent; durable per the configured durability when it returns.
  // An error means the write goes on unrecorded.
  virtual Result<uint64_t> Begin(const std::vector<std::string_view>& parts) = 0;
  virtual void Resolve(uint64_t id) = 0;
};

// The parts Begin records for `local` (the first is an encoded prefix, the last the body, not
// copied). `prefix` holds the prefix's bytes and must outlive the parts.
std::vector<std::string_view> EncodeIntent(const http::HttpRequest& local, std::string* prefix);
// The local request back from a recorded payload; InvalidArgument when it does not decode.
Result<http::HttpRequest> DecodeIntent(std::string_view payload);

// Records a local write for the life of the scope: constructed just before the request is sent,
// it resolves the intent when the handler is done with the answer (queued, refused, failed).
// A null log records nothing.
class IntentScope {
 public:
  IntentScope(IntentLog* log, const http::HttpRequest& local);
  ~IntentScope();
  IntentScope(const IntentScope&) = delete;
  IntentScope& operator=(const IntentScope&) = delete;

 private:
  IntentLog* log_;
  std::optional<uint64_t> id_;
};

}  // namespace edgerepl::frontdoor
