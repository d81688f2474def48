#include "agent/queue/intent_journal.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

#include "agent/queue/format.h"
#include "common/crc32c.h"

namespace edgerepl::queue {
namespace {

constexpr uint32_t kBegin = 1;
constexpr uint32_t kResolved = 2;

void PutU32(char* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void PutU64(char* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t GetU32(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}
uint64_t GetU64(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}

// Fills `header` (kIntentRecordHeaderBytes) for a record whose payload is `parts` joined.
void FrameRecord(char* header, uint32_t kind, uint64_t id,
                 const std::vector<std::string_view>& parts) {
  uint64_t length = 0;
  for (std::string_view p : parts) length += p.size();
  PutU32(header + 4, static_cast<uint32_t>(length));
  PutU32(header + 8, kind);
  PutU64(header + 12, id);
  uint32_t crc = crc32c::Value(header + 4, kIntentRecordHeaderBytes - 4);
  for (std::string_view p : parts) crc = crc32c::Extend(crc, p.data(), p.size());
  PutU32(header, MaskCrc(crc));
}

std::optional<uint64_t> ParseGeneration(const std::string& name) {
  const size_t suffix = std::strlen(kIntentSuffix);
  if (name.size() != 20 + suffix || name.compare(20, suffix, kIntentSuffix) != 0) {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return v;
}

}  // namespace

IntentJournal::IntentJournal(const IntentJournalOptions& options, FileSystem& fs)
    : options_(options), fs_(fs) {}

IntentJournal::~IntentJournal() {
  Close();
}

std::string IntentJournal::PathOf(uint64_t generation) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(generation));
  return options_.dir + "/" + name + kIntentSuffix;
}

Result<std::unique_ptr<IntentJournal>> IntentJournal::Open(const IntentJournalOptions& options,
                                                           FileSystem& fs,
                                                           std::vector<PendingIntent>* pending) {
  std::unique_ptr<IntentJournal> j(new IntentJournal(options, fs));
  EDGEREPL_RETURN_IF_ERROR(j->Recover(pending));
  if (options.durability == config::Durability::kInterval) {
    j->sync_thread_ = std::thread([p = j.get()] { p->SyncLoop(); });
  }
  return j;
}

Status IntentJournal::ReadFile(uint64_t generation, std::map<uint64_t, PendingIntent>* begins,
                               std::map<uint64_t, uint64_t>* owner) {
  const std::string path = PathOf(generation);
  Result<std::string> data = ReadWholeFile(fs_, path);
  if (!data.ok()) return data.status();
  const std::string& d = *data;
  uint64_t end = 0;
  if (d.size() >= kIntentFileHeaderBytes && std::memcmp(d.data(), kIntentMagic, 4) == 0 &&
      GetU32(d.data() + 4) == kIntentVersion) {
    end = kIntentFileHeaderBytes;
  } else if (!d.empty()) {
    spdlog::warn("intent journal {}: not a journal file of this version; ignoring it", path);
  }
  while (end > 0 && d.size() - end >= kIntentRecordHeaderBytes) {
    const char* h = d.data() + end;
    const uint64_t length = GetU32(h + 4);
    if (length > d.size() - end - kIntentRecordHeaderBytes) break;  // torn: never synced
    uint32_t crc = crc32c::Value(h + 4, kIntentRecordHeaderBytes - 4);
    crc = crc32c::Extend(crc, h + kIntentRecordHeaderBytes, length);
    if (UnmaskCrc(GetU32(h)) != crc) break;
    const uint32_t kind = GetU32(h + 8);
    const uint64_t id = GetU64(h + 12);
    if (kind == kBegin) {
      (*begins)[id] = PendingIntent{id, d.substr(end + kIntentRecordHeaderBytes, length)};
      (*owner)[id] = generation;
    } else if (kind == kResolved) {
      begins->erase(id);
      owner->erase(id);
    }
    end += kIntentRecordHeaderBytes + length;
  }
  if (end < d.size() && end > 0) {
    spdlog::warn(
        "intent journal {}: {} bytes after offset {} do not verify (a write cut short by "
        "the stop); cut off",
        path, d.size() - end, end);
  }
  JournalFile f;
  f.generation = generation;
  Result<FilePtr> file = fs_.Open(path, /*create=*/false);
  if (!file.ok()) return file.status();
  f.file = std::move(file).value();
  if (end == 0) {
    // Not even a header: nothing in it can be pending. Deleted below.
    f.end = 0;
  } else {
    if (end < d.size()) EDGEREPL_RETURN_IF_ERROR(f.file->Truncate(end));
    f.end = end;
  }
  files_[generation] = std::move(f);
  return Status::Ok();
}

Status IntentJournal::Recover(std::vector<PendingIntent>* pending) {
  EDGEREPL_RETURN_IF_ERROR(fs_.MkdirAll(options_.dir));
  Result<std::vector<DirEntry>> entries = fs_.List(options_.dir);
  if (!entries.ok()) return entries.status();
  std::vector<uint64_t> generations;
  for (const DirEntry& e : *entries) {
    if (e.is_dir) continue;
    if (std::optional<uint64_t> g = ParseGeneration(e.name)) generations.push_back(*g);
  }
  std::sort(generations.begin(), generations.end());
  std::map<uint64_t, PendingIntent> begins;
  std::map<uint64_t, uint64_t> owner;
  std::unique_lock<std::mutex> lock(mu_);
  for (uint64_t g : generations) {
    EDGEREPL_RETURN_IF_ERROR(ReadFile(g, &begins, &owner));
  }
  uint64_t highest_id = 0;
  for (auto& [id, begin] : begins) {
    highest_id = std::max(highest_id, id);
    files_[owner[id]].unresolved++;
    owner_[id] = owner[id];
    pending->push_back(std::move(begin));
  }
  // Ids are only compared within a file's life; continuing past the highest pending one keeps a
  // new begin from taking a pending one's id.
  next_id_ = highest_id + 1;
  active_ = generations.empty() ? 0 : generations.back();
  EDGEREPL_RETURN_IF_ERROR(RollLocked());
  DeleteResolvedLocked();
  return Status::Ok();
}

Status IntentJournal::RollLocked() {
  // The bytes written so far are in the files before the new one: synced here, so a group sync
  // of the new file alone covers everything before it too.
  auto old = files_.find(active_);
  if (old != files_.end() && old->second.file && synced_ < written_) {
    EDGEREPL_RETURN_IF_ERROR(old->second.file->Sync());
  }
  synced_ = written_;
  const uint64_t generation = active_ + 1;
  const std::string path = PathOf(generation);
  Result<FilePtr> file = fs_.Open(path, /*create=*/true);
  if (!file.ok()) return file.status();
  char header[kIntentFileHeaderBytes];
  std::memcpy(header, kIntentMagic, 4);
  PutU32(header + 4, kIntentVersion);
  Status st = (*file)->Write(0, std::string_view(header, sizeof header));
  if (st.ok()) st = (*file)->Sync();
  if (st.ok()) st = fs_.SyncDir(options_.dir);
  if (!st.ok()) {
    file->reset();
    (void)fs_.Unlink(path);
    return st;
  }
  JournalFile f;
  f.generation = generation;
  f.file = std::move(file).value();
  f.end = kIntentFileHeaderBytes;
  files_[generation] = std::move(f);
  active_ = generation;
  return Status::Ok();
}

void IntentJournal::DeleteResolvedLocked() {
  for (auto it = files_.begin(); it != files_.end();) {
    if (it->first == active_ || it->second.unresolved > 0) {
      ++it;
      continue;
    }
    // Not synced: a file that comes back after a power loss holds only writes that were
    // resolved, whose replay is idempotent.
    Status st = fs_.Unlink(PathOf(it->first));
    if (!st.ok()) spdlog::warn("intent journal: {}", st.ToString());
    it = files_.erase(it);
  }
}

Result<uint64_t> IntentJournal::Begin(const std::vector<std::string_view>& parts) {
  uint64_t length = 0;
  for (std::string_view p : parts) length += p.size();
  if (length > kMaxPayloadBytes)
    return Status::InvalidArgument("intent larger than the journal takes");
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return Status::Aborted("intent journal closed");
  const uint64_t size = kIntentRecordHeaderBytes + length;
  if (files_[active_].end + size > options_.file_bytes &&
      files_[active_].end > kIntentFileHeaderBytes) {
    Status st = RollLocked();
    // Appending to the current file past its size is still correct, only larger.
    if (!st.ok()) spdlog::warn("intent journal: cannot start a new file: {}", st.ToString());
    DeleteResolvedLocked();
  }
  JournalFile& f = files_[active_];
  const uint64_t id = next_id_++;
  char header[kIntentRecordHeaderBytes];
  FrameRecord(header, kBegin, id, parts);
  std::vector<std::string_view> all;
  all.reserve(parts.size() + 1);
  all.emplace_back(header, sizeof header);
  all.insert(all.end(), parts.begin(), parts.end());
  Status st = f.file->WriteV(f.end, all);
  if (!st.ok()) {
    (void)f.file->Truncate(f.end);
    return st;
  }
  f.end += size;
  f.unresolved++;
  written_ += size;
  owner_[id] = active_;
  if (options_.durability == config::Durability::kSync) {
    st = SyncTo(written_, lock);
    if (!st.ok()) {
      // The caller goes on without an intent; a begin that did reach the disk must not be
      // replayed as if it were pending.
      lock.unlock();
      Resolve(id);
      return st;
    }
  }
  return id;
}

Status IntentJournal::SyncTo(uint64_t target, std::unique_lock<std::mutex>& lock) {
  while (synced_ < target) {
    if (syncing_) {
      cv_.wait(lock);
      continue;
    }
    syncing_ = true;
    const uint64_t goal = written_;
    std::shared_ptr<File> file = files_[active_].file;
    lock.unlock();
    Status st = file->Sync();
    lock.lock();
    syncing_ = false;
    if (st.ok()) synced_ = std::max(synced_, goal);
    cv_.notify_all();
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

void IntentJournal::Resolve(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = owner_.find(id);
  if (it == owner_.end()) return;
  const uint64_t generation = it->second;
  owner_.erase(it);
  auto f = files_.find(generation);
  if (f == files_.end()) return;
  char header[kIntentRecordHeaderBytes];
  FrameRecord(header, kResolved, id, {});
  Status st = f->second.file->Write(f->second.end, std::string_view(header, sizeof header));
  if (st.ok()) {
    f->second.end += sizeof header;
    written_ += sizeof header;
  } else {
    (void)f->second.file->Truncate(f->second.end);
  }
  if (--f->second.unresolved == 0 && generation != active_) DeleteResolvedLocked();
}

IntentJournalStats IntentJournal::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return IntentJournalStats{owner_.size(), files_.size()};
}

void IntentJournal::SyncLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!closed_) {
    cv_.wait_for(lock, options_.sync_interval, [this] { return closed_; });
    if (closed_) break;
    if (synced_ < written_) {
      Status st = SyncTo(written_, lock);
      if (!st.ok()) spdlog::warn("intent journal: sync: {}", st.ToString());
    }
  }
}

void IntentJournal::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
  }
  cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  std::unique_lock<std::mutex> lock(mu_);
  while (syncing_) cv_.wait(lock);
  auto active = files_.find(active_);
  if (active != files_.end() && active->second.unresolved > 0 && synced_ < written_) {
    // Writes still unanswered at a stop (handlers left behind): their begins must survive.
    (void)active->second.file->Sync();
  }
  // With nothing unresolved the active file can go too; the next start makes a new one.
  if (active != files_.end() && active->second.unresolved == 0) active_ = 0;
  DeleteResolvedLocked();
}

}  // namespace edgerepl::queue
