#include "agent/queue/cursor.h"

#include <gtest/gtest.h>

#include "agent/queue/format.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/queue/fault_fs.h"

namespace edgerepl::queue {
namespace {

using testing::Fault;
using testing::FaultFileSystem;
using testing::Op;

TEST(CursorTest, EncodesToTheDocumentedSize) {
  std::string b = EncodeCursor({3, 4096});
  EXPECT_EQ(b.size(), kCursorBytes);
  Result<Cursor> c = DecodeCursor(b);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, (Cursor{3, 4096}));
}

TEST(CursorTest, EveryFlippedBitIsDetected) {
  std::string b = EncodeCursor({3, 4096});
  for (size_t i = 0; i < b.size() * 8; ++i) {
    std::string d = b;
    d[i / 8] ^= static_cast<char>(1 << (i % 8));
    EXPECT_TRUE(DecodeCursor(d).status().IsCorruption()) << "bit " << i;
  }
  EXPECT_TRUE(DecodeCursor(b.substr(0, 20)).status().IsCorruption());
  EXPECT_TRUE(DecodeCursor(b + "x").status().IsCorruption());
  EXPECT_TRUE(DecodeCursor("").status().IsCorruption());
}

TEST(CursorTest, StoreAndLoad) {
  edgerepl::testing::TempDir dir;
  EXPECT_TRUE(LoadCursor(PosixFileSystem(), dir.path()).status().IsNotFound());
  ASSERT_TRUE(StoreCursor(PosixFileSystem(), dir.path(), {1, 20}).ok());
  ASSERT_TRUE(StoreCursor(PosixFileSystem(), dir.path(), {2, 40}).ok());
  Result<Cursor> c = LoadCursor(PosixFileSystem(), dir.path());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, (Cursor{2, 40}));
}

TEST(CursorTest, FailuresAtEachStepLeaveTheOldCursor) {
  for (Op op : {Op::kWrite, Op::kSync, Op::kRename, Op::kOpen, Op::kTruncate}) {
    edgerepl::testing::TempDir dir;
    FaultFileSystem fs;
    ASSERT_TRUE(StoreCursor(fs, dir.path(), {1, 20}).ok());
    fs.Inject(Fault{op, "cursor", 0, 1, EIO, 5});
    EXPECT_FALSE(StoreCursor(fs, dir.path(), {2, 40}).ok());
    Result<Cursor> c = LoadCursor(fs, dir.path());
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(*c, (Cursor{1, 20})) << static_cast<int>(op);
  }
}

TEST(CursorTest, DirectoryIsSyncedAfterRename) {
  edgerepl::testing::TempDir dir;
  FaultFileSystem fs;
  ASSERT_TRUE(StoreCursor(fs, dir.path(), {1, 20}).ok());
  EXPECT_EQ(fs.calls(Op::kSyncDir), 1);
  EXPECT_EQ(fs.calls(Op::kSync), 1);
  fs.Inject(Fault{Op::kSyncDir, "", 0, 1, EIO});
  EXPECT_FALSE(StoreCursor(fs, dir.path(), {2, 40}).ok());
}

}  // namespace
}  // namespace edgerepl::queue
