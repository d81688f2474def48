#include "agent/app/intents.h"

#include <spdlog/spdlog.h>

namespace edgerepl::app {

Result<std::shared_ptr<JournalIntentLog>> JournalIntentLog::Open(
    const config::Config& config, queue::FileSystem& fs, frontdoor::IntentMetrics& metrics,
    std::vector<frontdoor::PendingWrite>* pending) {
  queue::IntentJournalOptions o;
  o.dir = config.data_dir + "/intents";
  o.durability = config.durability;
  o.sync_interval = config.sync_interval;
  std::vector<queue::PendingIntent> found;
  auto journal = queue::IntentJournal::Open(o, fs, &found);
  if (!journal.ok()) {
    return Status(journal.status().code(),
                  "intent journal " + o.dir + ": " + journal.status().message());
  }
  for (auto& f : found) pending->push_back({f.id, std::move(f.payload)});
  return std::shared_ptr<JournalIntentLog>(
      new JournalIntentLog(std::move(journal).value(), o.dir, metrics));
}

Result<uint64_t> JournalIntentLog::Begin(const std::vector<std::string_view>& parts) {
  Result<uint64_t> id = journal_->Begin(parts);
  if (!id.ok() && id.status().code() != StatusCode::kAborted) {
    metrics_.BeginFailed();
    // The first failure and then one in a thousand: a full disk fails every write.
    if (failures_.fetch_add(1) % 1000 == 0) {
      spdlog::warn(
          "intent journal {}: {}; writes go to the local InfluxDB unrecorded (a crash during one "
          "may leave it there only) until it works again",
          dir_, id.status().ToString());
    }
  }
  return id;
}

void JournalIntentLog::Resolve(uint64_t id) {
  journal_->Resolve(id);
}

}  // namespace edgerepl::app
