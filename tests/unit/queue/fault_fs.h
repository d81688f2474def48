// Test doubles for the queue: a FileSystem over the real one that injects faults (short writes,
// EIO, ENOSPC, fsync/rename/truncate/open failures) and counts calls, and a fake clock.
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "agent/queue/fs.h"
#include "common/clock.h"

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

  Result<FilePtr> Open(const std::string& path, bool create) override;
  Status Rename(const std::string& from, const std::string& to) override {
    if (int e = Check(Op::kRename, from)) return Status::FromErrno(e, "rename " + from);
    return base_.Rename(from, to);
  }
  Status Unlink(const std::string& path) override {
    if (int e = Check(Op::kUnlink, path)) return Status::FromErrno(e, "unlink " + path);
    return base_.Unlink(path);
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
};

class FaultFile final : public File {
 public:
  FaultFile(FaultFileSystem& fs, FilePtr base, std::string path)
      : fs_(fs), base_(std::move(base)), path_(std::move(path)) {}
  Status Write(uint64_t offset, std::string_view data) override {
    size_t partial = 0;
    if (int e = fs_.Check(Op::kWrite, path_, &partial)) {
      if (partial > 0) (void)base_->Write(offset, data.substr(0, std::min(partial, data.size())));
      return Status::FromErrno(e, "write " + path_);
    }
    return base_->Write(offset, data);
  }
  Status Read(uint64_t offset, size_t n, std::string* out) override {
    if (int e = fs_.Check(Op::kRead, path_)) return Status::FromErrno(e, "read " + path_);
    return base_->Read(offset, n, out);
  }
  Status Sync() override {
    if (int e = fs_.Check(Op::kSync, path_)) return Status::FromErrno(e, "fdatasync " + path_);
    return base_->Sync();
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
  return FilePtr(new FaultFile(*this, std::move(*f), path));
}

class FakeClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return steady_;
  }
  std::chrono::system_clock::time_point WallNow() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return wall_;
  }
  void SleepFor(std::chrono::nanoseconds d) override { Advance(d); }
  void Advance(std::chrono::nanoseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }

 private:
  mutable std::mutex mu_;
  std::chrono::steady_clock::time_point steady_{std::chrono::hours(1)};
  std::chrono::system_clock::time_point wall_{std::chrono::seconds(1700000000)};
};

}  // namespace edgerepl::queue::testing
