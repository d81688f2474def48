#include "common/status.h"

#include <gtest/gtest.h>

namespace edgerepl {
namespace {

TEST(StatusTest, OkIsDefaultAndCarriesNoMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, EnospcAndEdquotMapToNoSpace) {
  EXPECT_TRUE(Status::FromErrno(ENOSPC, "write").IsNoSpace());
  EXPECT_TRUE(Status::FromErrno(EDQUOT, "write").IsNoSpace());
  Status eio = Status::FromErrno(EIO, "fdatasync seg 3");
  EXPECT_EQ(eio.code(), StatusCode::kIoError);
  EXPECT_EQ(eio.errno_value(), EIO);
  EXPECT_NE(eio.message().find("fdatasync seg 3"), std::string::npos);
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> v(42);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 42);
  Result<int> e(Status::NotFound("no cursor"));
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(e.status().IsNotFound());
}

}  // namespace
}  // namespace edgerepl
