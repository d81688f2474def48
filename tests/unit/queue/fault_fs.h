// Test doubles for the queue: a FileSystem over the real one that injects faults (short writes,
// EIO, ENOSPC, fsync/rename/truncate/open failures), counts calls and can simulate a power loss
// (everything not synced is forgotten), and a fake clock.
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/queue/fs.h"
#include "common/clock.h"
#include "tests/fakes/fake_clock.h"

namespace edgerepl::queue::testing {

enum class Op { kWrite, kSync, kTruncate, kRename, kOpen, kSyncDir, kUnlink, kRead };

struct Fault {
  Op op = Op::kWrite;
  std::string path_contains;  // empty matches every path
  int skip = 0;               // matching calls let through before the fault fires
  int times = 1;              // how often it fires; -1 forever
  int err = EIO;
  size_t partial_bytes = 0;  // kWrite: bytes really written before the error (a short write)
};

class FaultFileSystem final : public FileSystem {
 public:
  explicit FaultFileSystem(FileSystem& base = PosixFileSystem()) : base_(base) {}

  void Inject(Fault f) {
    std::lock_guard<std::mutex> lock(mu_);
    faults_.push_back(std::move(f));
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    faults_.clear();
  }
  // Returns the errno to fail with (0: go ahead) and, for writes, how much to write first.
  int Check(Op op, const std::string& path, size_t* partial = nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_[static_cast<int>(op)];
    if (crashed_) return EIO;
    for (Fault& f : faults_) {
      if (f.op != op || f.times == 0) continue;
      if (!f.path_contains.empty() && path.find(f.path_contains) == std::string::npos) continue;
      if (f.skip > 0) {
        --f.skip;
        continue;
      }
      if (f.times > 0) --f.times;
      if (partial != nullptr) *partial = f.partial_bytes;
      return f.err;
    }
    return 0;
  }
  int calls(Op op) {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_[static_cast<int>(op)];
  }

  // Power loss, in two steps. Crash(): from now on every call fails with EIO, so the code under
  // test can be torn down without writing anything more. Restart(): every file this object
  // created goes back to its contents at its last successful sync (or disappears if it never
  // had one), and calls work again. Directory syncs are not modelled: a rename is taken as
  // durable once the renamed file was synced.
  void Crash() {
    std::lock_guard<std::mutex> lock(mu_);
    crashed_ = true;
  }
  void Restart() {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& path : created_) {
      auto it = synced_.find(path);
      if (it == synced_.end()) {
        (void)base_.Unlink(path);
        continue;
      }
      Result<FilePtr> f = base_.Open(path, true);
      if (!f.ok()) continue;
      (void)(*f)->Truncate(0);
      (void)(*f)->Write(0, it->second);
    }
    crashed_ = false;
  }
  // Holds the next sync of a file whose path contains `path_contains` when it starts (before any
  // injected fault is checked) until ReleaseSync(), so a test can act while a sync runs.
  void HoldNextSync(std::string path_contains) {
    std::lock_guard<std::mutex> lock(gate_mu_);
    hold_path_ = std::move(path_contains);
    hold_armed_ = true;
    held_ = released_ = false;
  }
  // Waits (up to 10 s) until the held sync has started; false on timeout.
  bool WaitSyncHeld() {
    std::unique_lock<std::mutex> lock(gate_mu_);
    return gate_cv_.wait_for(lock, std::chrono::seconds(10), [this] { return held_; });
  }
  void ReleaseSync() {
    std::lock_guard<std::mutex> lock(gate_mu_);
    released_ = true;
    gate_cv_.notify_all();
  }
  // Every sync takes at least this long (a slow disk).
  void SetSyncDelay(std::chrono::microseconds d) { sync_delay_us_ = d.count(); }
  // Writes that started while a sync of any file was running.
  int writes_during_sync() const { return writes_during_sync_; }

  // Called by FaultFile around its operations.
  void SyncStarts(const std::string& path) {
    ++syncs_running_;
    {
      std::unique_lock<std::mutex> lock(gate_mu_);
      if (hold_armed_ && path.find(hold_path_) != std::string::npos) {
        hold_armed_ = false;
        held_ = true;
        gate_cv_.notify_all();
        gate_cv_.wait(lock, [this] { return released_; });
      }
    }
    if (int64_t d = sync_delay_us_) std::this_thread::sleep_for(std::chrono::microseconds(d));
  }
  void SyncEnds() { --syncs_running_; }
  void WriteStarts() {
    if (syncs_running_ > 0) ++writes_during_sync_;
  }

  void RecordSynced(const std::string& path, std::string contents) {
    std::lock_guard<std::mutex> lock(mu_);
    synced_[path] = std::move(contents);
  }

  Result<FilePtr> Open(const std::string& path, bool create) override;
  Status Rename(const std::string& from, const std::string& to) override {
    if (int e = Check(Op::kRename, from)) return Status::FromErrno(e, "rename " + from);
    EDGEREPL_RETURN_IF_ERROR(base_.Rename(from, to));
    std::lock_guard<std::mutex> lock(mu_);
    created_.insert(to);
    auto it = synced_.find(from);
    if (it != synced_.end()) {
      synced_[to] = std::move(it->second);
      synced_.erase(from);
    } else {
      synced_.erase(to);
    }
    return Status::Ok();
  }
  Status Unlink(const std::string& path) override {
    if (int e = Check(Op::kUnlink, path)) return Status::FromErrno(e, "unlink " + path);
    EDGEREPL_RETURN_IF_ERROR(base_.Unlink(path));
    std::lock_guard<std::mutex> lock(mu_);
    synced_.erase(path);
    created_.erase(path);
    return Status::Ok();
  }
  Result<std::vector<DirEntry>> List(const std::string& dir) override { return base_.List(dir); }
  Status MkdirAll(const std::string& dir) override { return base_.MkdirAll(dir); }
  Status RemoveAll(const std::string& path) override { return base_.RemoveAll(path); }
  Status SyncDir(const std::string& dir) override {
    if (int e = Check(Op::kSyncDir, dir)) return Status::FromErrno(e, "fsync " + dir);
    return base_.SyncDir(dir);
  }
  Result<bool> Exists(const std::string& path) override { return base_.Exists(path); }
  Result<uint64_t> FreeBytes(const std::string& path) override { return base_.FreeBytes(path); }

 private:
  FileSystem& base_;
  std::mutex mu_;
  std::vector<Fault> faults_;
  int calls_[8] = {};
  bool crashed_ = false;
  std::set<std::string> created_;
  std::map<std::string, std::string> synced_;

  std::mutex gate_mu_;
  std::condition_variable gate_cv_;
  std::string hold_path_;    // GUARDED_BY(gate_mu_)
  bool hold_armed_ = false;  // GUARDED_BY(gate_mu_)
  bool held_ = false;        // GUARDED_BY(gate_mu_)
  bool released_ = false;    // GUARDED_BY(gate_mu_)
  std::atomic<int64_t> sync_delay_us_{0};
  std::atomic<int> syncs_running_{0};
  std::atomic<int> writes_during_sync_{0};
};

class FaultFile final : public File {
 public:
  FaultFile(FaultFileSystem& fs, FilePtr base, std::string path)
      : fs_(fs), base_(std::move(base)), path_(std::move(path)) {}
  Status Write(uint64_t offset, std::string_view data) override {
    fs_.WriteStarts();
    size_t partial = 0;
    if (int e = fs_.Check(Op::kWrite, path_, &partial)) {
      if (partial > 0) (void)base_->Write(offset, data.substr(0, std::min(partial, data.size())));
      return Status::FromErrno(e, "write " + path_);
    }
    return base_->Write(offset, data);
  }
  // One injected fault applies to the whole gather, as to one write of the joined bytes.
  Status WriteV(uint64_t offset, const std::vector<std::string_view>& parts) override {
    fs_.WriteStarts();
    size_t partial = 0;
    if (int e = fs_.Check(Op::kWrite, path_, &partial)) {
      std::string joined;
      for (std::string_view p : parts) {
        if (joined.size() >= partial) break;
        joined.append(p);
      }
      if (partial > 0) (void)base_->Write(offset, std::string_view(joined).substr(0, partial));
      return Status::FromErrno(e, "write " + path_);
    }
    return base_->WriteV(offset, parts);
  }
  Status Read(uint64_t offset, size_t n, std::string* out) override {
    if (int e = fs_.Check(Op::kRead, path_)) return Status::FromErrno(e, "read " + path_);
    return base_->Read(offset, n, out);
  }
  Result<size_t> ReadV(uint64_t offset, const std::vector<std::span<char>>& parts) override {
    if (int e = fs_.Check(Op::kRead, path_)) return Status::FromErrno(e, "read " + path_);
    return base_->ReadV(offset, parts);
  }
  Status Sync() override {
    fs_.SyncStarts(path_);
    struct Ends {
      FaultFileSystem& fs;
      ~Ends() { fs.SyncEnds(); }
    } ends{fs_};
    if (int e = fs_.Check(Op::kSync, path_)) return Status::FromErrno(e, "fdatasync " + path_);
    EDGEREPL_RETURN_IF_ERROR(base_->Sync());
    Result<uint64_t> size = base_->Size();
    std::string contents;
    if (size.ok() && base_->Read(0, *size, &contents).ok()) fs_.RecordSynced(path_, contents);
    return Status::Ok();
  }
  Status Truncate(uint64_t size) override {
    if (int e = fs_.Check(Op::kTruncate, path_)) return Status::FromErrno(e, "truncate " + path_);
    return base_->Truncate(size);
  }
  Result<uint64_t> Size() override { return base_->Size(); }

 private:
  FaultFileSystem& fs_;
  FilePtr base_;
  std::string path_;
};

inline Result<FilePtr> FaultFileSystem::Open(const std::string& path, bool create) {
  if (int e = Check(Op::kOpen, path)) return Status::FromErrno(e, "open " + path);
  Result<FilePtr> f = base_.Open(path, create);
  if (!f.ok()) return f.status();
  if (create) {
    std::lock_guard<std::mutex> lock(mu_);
    created_.insert(path);
  }
  return FilePtr(new FaultFile(*this, std::move(*f), path));
}

// The one fake clock of the unit tests (tests/fakes).
using ::edgerepl::testing::FakeClock;

}  // namespace edgerepl::queue::testing
