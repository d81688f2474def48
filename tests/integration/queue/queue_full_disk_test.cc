// The queue on a real, small tmpfs that fills up: appends are refused with kNoSpace and leave
// every file readable, and once the reader has acknowledged everything, appends succeed again
// without reopening, even though the whole queue fits in one segment.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>

#include "agent/queue/queue.h"
#include "common/clock.h"
#include "tests/support/temp_dir.h"

namespace edgerepl::queue {
namespace {

class Tmpfs {
 public:
  explicit Tmpfs(const std::string& path, const char* size) : path_(path) {
    std::string opts = std::string("size=") + size;
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, opts.c_str()) == 0;
    error_ = errno;
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  int error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  int error_ = 0;
};

TEST(QueueFullDiskTest, FullTmpfsRefusesThenRecoversOnceAcknowledged) {
  testing::TempDir dir;
  Tmpfs fs_mount(dir.path(), "1m");
  if (!fs_mount.mounted()) {
    GTEST_SKIP() << "mount -t tmpfs refused (" << std::strerror(fs_mount.error())
                 << "): this test needs root or CAP_SYS_ADMIN";
  }
  QueueOptions o;
  o.dir = dir.path() + "/q";
  o.segment_bytes = 16 << 20;  // larger than the disk
  auto opened = Queue::Open(o, PosixFileSystem(), RealClock::Instance(), nullptr);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Queue> q = std::move(*opened);
  const std::string payload(8000, 'x');
  int appended = 0;
  Status st;
  for (; appended < 1000; ++appended) {
    st = q->Append(payload, 1);
    if (!st.ok()) break;
  }
  ASSERT_TRUE(st.IsNoSpace()) << st.ToString();
  ASSERT_GT(appended, 10);
  // Refused again while nothing was acknowledged.
  EXPECT_TRUE(q->Append(payload, 1).IsNoSpace());

  int read = 0;
  for (;;) {
    auto r = q->ReadNext(1 << 20);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (r->empty()) break;
    for (const Record& rec : *r) EXPECT_EQ(rec.payload, payload);
    read += static_cast<int>(r->size());
    (void)q->Ack(r->back().position);  // may fail to store the cursor: the disk is full
  }
  EXPECT_EQ(read, appended);
  EXPECT_EQ(q->Stats().pending_records, 0u);

  // Space comes back without a restart.
  for (int i = 0; i < 20; ++i) {
    Status again = q->Append(payload, 1);
    ASSERT_TRUE(again.ok()) << i << ": " << again.ToString();
  }
  auto r = q->ReadNext(1 << 20);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 20u);
  ASSERT_TRUE(q->Ack(r->back().position).ok());
  q.reset();
  auto reopened = Queue::Open(o, PosixFileSystem(), RealClock::Instance(), nullptr);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->Stats().pending_records, 0u);
  EXPECT_EQ((*reopened)->Stats().dropped.count("corrupt"), 0u);
}

}  // namespace
}  // namespace edgerepl::queue
