// The agent's intent journal as the write path sees it (frontdoor::IntentLog over
// queue::IntentJournal): one journal per agent in <dataDir>/intents, whatever the number of
// replications. Opening it hands back the writes a crash interrupted, for the replay that runs
// before the write port opens (frontdoor/intent_recovery.h).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "agent/frontdoor/intent.h"
#include "agent/frontdoor/intent_recovery.h"
#include "agent/queue/fs.h"
#include "agent/queue/intent_journal.h"
#include "common/config/config.h"

namespace edgerepl::app {

class JournalIntentLog final : public frontdoor::IntentLog {
 public:
  // `metrics` is borrowed and must outlive the log.
  static Result<std::shared_ptr<JournalIntentLog>> Open(
      const config::Config& config, queue::FileSystem& fs, frontdoor::IntentMetrics& metrics,
      std::vector<frontdoor::PendingWrite>* pending);

  Result<uint64_t> Begin(const std::vector<std::string_view>& parts) override;
  void Resolve(uint64_t id) override;
  void Close() { journal_->Close(); }
  const std::string& dir() const { return dir_; }

 private:
  JournalIntentLog(std::unique_ptr<queue::IntentJournal> journal, std::string dir,
                   frontdoor::IntentMetrics& metrics)
      : journal_(std::move(journal)), dir_(std::move(dir)), metrics_(metrics) {}

  std::unique_ptr<queue::IntentJournal> journal_;
  const std::string dir_;
  frontdoor::IntentMetrics& metrics_;
  std::atomic<uint64_t> failures_{0};
};

}  // namespace edgerepl::app
