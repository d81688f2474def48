// The file seam of the queue. Production uses POSIX calls directly (PosixFileSystem); tests wrap it
// to inject short writes, EIO, ENOSPC, fsync and rename failures (tests/unit/queue/fault_fs.h).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace edgerepl::queue {

class File {
 public:
  virtual ~File() = default;
  // Writes all of `data` at `offset`, retrying short writes. On error part of it may have been
  // written; the caller truncates back.
  virtual Status Write(uint64_t offset, std::string_view data) = 0;
  // Writes `parts` back to back at `offset` (a gather write: one commit group's headers and
  // payloads without copying them together), with Write's contract.
  virtual Status WriteV(uint64_t offset, const std::vector<std::string_view>& parts) = 0;
  // Reads up to `n` bytes at `offset` into `out` (resized to what was read; short only at EOF).
  virtual Status Read(uint64_t offset, size_t n, std::string* out) = 0;
  // Reads into `parts` back to back from `offset` (a scatter read: the reader puts each record
  // straight into its own buffer, with no staging buffer to fault in and copy out of). Returns the
  // bytes read, fewer than the parts hold only at end of file.
  virtual Result<size_t> ReadV(uint64_t offset, const std::vector<std::span<char>>& parts) = 0;
  virtual Status Sync() = 0;  // fdatasync
  virtual Status Truncate(uint64_t size) = 0;
  virtual Result<uint64_t> Size() = 0;
};
using FilePtr = std::unique_ptr<File>;

struct DirEntry {
  std::string name;
  bool is_dir = false;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Opens for reading and writing, creating the file (mode 0600) when `create` is set.
  virtual Result<FilePtr> Open(const std::string& path, bool create) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Unlink(const std::string& path) = 0;
  virtual Result<std::vector<DirEntry>> List(const std::string& dir) = 0;
  // Creates the directory and missing parents (mode 0700). An existing directory is fine.
  virtual Status MkdirAll(const std::string& dir) = 0;
  // Removes a directory and everything under it. A missing directory is fine.
  virtual Status RemoveAll(const std::string& path) = 0;
  // fsync on the directory, so a created, renamed or removed entry survives a power loss.
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Result<bool> Exists(const std::string& path) = 0;
  // Bytes available to an unprivileged writer on the file system holding `path` (statvfs).
  virtual Result<uint64_t> FreeBytes(const std::string& path) = 0;
};

// The process-wide POSIX implementation; stateless, so sharing it is safe.
FileSystem& PosixFileSystem();

// Replaces `dir`/`name` with `contents` so that after a crash the file holds either the old or the
// new contents: write a temp file, fsync it, rename it over, fsync the directory.
Status WriteFileAtomically(FileSystem& fs, const std::string& dir, const std::string& name,
                           std::string_view contents);

// Reads a whole (small) file.
Result<std::string> ReadWholeFile(FileSystem& fs, const std::string& path);

}  // namespace edgerepl::queue
