#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "agent/queue/fs.h"

namespace edgerepl::queue {
namespace {

// After a vectored read or write moved `n` bytes: drops the parts it finished from `iov` and
// returns how many bytes of the new front part it already moved.
size_t Consume(std::vector<struct iovec>* iov, size_t n) {
  size_t whole = 0;
  while (whole < iov->size() && n >= (*iov)[whole].iov_len) n -= (*iov)[whole++].iov_len;
  iov->erase(iov->begin(), iov->begin() + static_cast<std::ptrdiff_t>(whole));
  return n;
}

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }

  Status Write(uint64_t offset, std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno(errno, "write " + path_);
      }
      // A short write is followed by another call, which reports the reason (ENOSPC, EIO).
      data.remove_prefix(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  Status WriteV(uint64_t offset, const std::vector<std::string_view>& parts) override {
    std::vector<struct iovec> iov;
    iov.reserve(std::min<size_t>(parts.size(), IOV_MAX));
    size_t next = 0;  // first part not yet in `iov`
    size_t done = 0;  // bytes of iov.front() already written
    while (next < parts.size() || !iov.empty()) {
      while (next < parts.size() && iov.size() < IOV_MAX) {
        if (!parts[next].empty()) {
          iov.push_back({const_cast<char*>(parts[next].data()), parts[next].size()});
        }
        ++next;
      }
      if (iov.empty()) break;
      iov.front().iov_base = static_cast<char*>(iov.front().iov_base) + done;
      iov.front().iov_len -= done;
      done = 0;
      ssize_t n =
          ::pwritev(fd_, iov.data(), static_cast<int>(iov.size()), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno(errno, "write " + path_);
      }
      // A short write is followed by another call, which reports the reason (ENOSPC, EIO).
      offset += static_cast<uint64_t>(n);
      done = Consume(&iov, static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  Status Read(uint64_t offset, size_t n, std::string* out) override {
    out->resize(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, out->data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno(errno, "read " + path_);
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    out->resize(got);
    return Status::Ok();
  }

  Result<size_t> ReadV(uint64_t offset, const std::vector<std::span<char>>& parts) override {
    std::vector<struct iovec> iov;
    iov.reserve(std::min<size_t>(parts.size(), IOV_MAX));
    size_t next = 0;   // first part not yet in `iov`
    size_t done = 0;   // bytes of iov.front() already read
    size_t total = 0;  // bytes read so far
    while (next < parts.size() || !iov.empty()) {
      while (next < parts.size() && iov.size() < IOV_MAX) {
        if (!parts[next].empty()) iov.push_back({parts[next].data(), parts[next].size()});
        ++next;
      }
      if (iov.empty()) break;
      iov.front().iov_base = static_cast<char*>(iov.front().iov_base) + done;
      iov.front().iov_len -= done;
      done = 0;
      ssize_t n = ::preadv(fd_, iov.data(), static_cast<int>(iov.size()),
                           static_cast<off_t>(offset + total));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno(errno, "read " + path_);
      }
      if (n == 0) break;
      total += static_cast<size_t>(n);
      done = Consume(&iov, static_cast<size_t>(n));
    }
    return total;
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return Status::FromErrno(errno, "fdatasync " + path_);
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    while (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      if (errno != EINTR) return Status::FromErrno(errno, "truncate " + path_);
    }
    return Status::Ok();
  }

  Result<uint64_t> Size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return Status::FromErrno(errno, "stat " + path_);
    return static_cast<uint64_t>(st.st_size);
  }

 private:
  int fd_;
  std::string path_;
};

class Posix final : public FileSystem {
 public:
  Result<FilePtr> Open(const std::string& path, bool create) override {
    int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
    int fd;
    do {
      fd = ::open(path.c_str(), flags, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      if (errno == ENOENT) return Status::NotFound(path);
      return Status::FromErrno(errno, "open " + path);
    }
    return FilePtr(new PosixFile(fd, path));
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return Status::FromErrno(errno, "rename " + from + " to " + to);
    }
    return Status::Ok();
  }

  Status Unlink(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Status::FromErrno(errno, "unlink " + path);
    }
    return Status::Ok();
  }

  Result<std::vector<DirEntry>> List(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      if (errno == ENOENT) return Status::NotFound(dir);
      return Status::FromErrno(errno, "list " + dir);
    }
    std::vector<DirEntry> out;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      bool is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN) {
        struct stat st;
        is_dir = ::stat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      }
      out.push_back({std::move(name), is_dir});
    }
    ::closedir(d);
    return out;
  }

  Status MkdirAll(const std::string& dir) override {
    for (size_t i = 1; i <= dir.size(); ++i) {
      if (i != dir.size() && dir[i] != '/') continue;
      std::string prefix = dir.substr(0, i);
      if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
        return Status::FromErrno(errno, "mkdir " + prefix);
      }
    }
    return Status::Ok();
  }

  Status RemoveAll(const std::string& path) override {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return Status::Ok();
      return Status::FromErrno(errno, "stat " + path);
    }
    if (S_ISDIR(st.st_mode)) {
      Result<std::vector<DirEntry>> entries = List(path);
      if (!entries.ok()) return entries.status();
      for (const DirEntry& e : *entries) EDGEREPL_RETURN_IF_ERROR(RemoveAll(path + "/" + e.name));
      if (::rmdir(path.c_str()) != 0 && errno != ENOENT) {
        return Status::FromErrno(errno, "rmdir " + path);
      }
      return Status::Ok();
    }
    return Unlink(path);
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno(errno, "open " + dir);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return Status::FromErrno(err, "fsync " + dir);
    return Status::Ok();
  }

  Result<bool> Exists(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT) return false;
    return Status::FromErrno(errno, "stat " + path);
  }

  Result<uint64_t> FreeBytes(const std::string& path) override {
    struct statvfs st;
    if (::statvfs(path.c_str(), &st) != 0) return Status::FromErrno(errno, "statvfs " + path);
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }
};

}  // namespace

FileSystem& PosixFileSystem() {
  static Posix* fs = new Posix();
  return *fs;
}

Status WriteFileAtomically(FileSystem& fs, const std::string& dir, const std::string& name,
                           std::string_view contents) {
  std::string tmp = dir + "/" + name + ".tmp";
  {
    Result<FilePtr> f = fs.Open(tmp, /*create=*/true);
    if (!f.ok()) return f.status();
    EDGEREPL_RETURN_IF_ERROR((*f)->Truncate(0));
    EDGEREPL_RETURN_IF_ERROR((*f)->Write(0, contents));
    EDGEREPL_RETURN_IF_ERROR((*f)->Sync());
  }
  EDGEREPL_RETURN_IF_ERROR(fs.Rename(tmp, dir + "/" + name));
  return fs.SyncDir(dir);
}

Result<std::string> ReadWholeFile(FileSystem& fs, const std::string& path) {
  Result<FilePtr> f = fs.Open(path, /*create=*/false);
  if (!f.ok()) return f.status();
  Result<uint64_t> size = (*f)->Size();
  if (!size.ok()) return size.status();
  std::string out;
  EDGEREPL_RETURN_IF_ERROR((*f)->Read(0, *size, &out));
  return out;
}

}  // namespace edgerepl::queue
