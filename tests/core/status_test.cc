#include "core/status.h"

#include <gtest/gtest.h>

namespace reco {
namespace {

StatusOr<int> ParsePositive(int v) {
  if (v <= 0) return InvalidArgumentError("not positive: " + std::to_string(v));
  return v;
}

Status UsesMacros(int v, int* out) {
  ASSIGN_OR_RETURN(int x, ParsePositive(v));
  RETURN_IF_ERROR(x > 100 ? OutOfRangeError("too big") : Status::Ok());
  *out = x;
  return Status::Ok();
}

TEST(StatusTest, OkIsDefaultAndCheap) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = NotFoundError("model 'x'");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: model 'x'");
  EXPECT_EQ(s.WithContext("loading").message(), "loading: model 'x'");
  EXPECT_TRUE(Status().WithContext("ignored").ok());
}

TEST(StatusTest, MacrosPropagate) {
  int out = 0;
  EXPECT_TRUE(UsesMacros(5, &out).ok());
  EXPECT_EQ(out, 5);
  EXPECT_EQ(UsesMacros(-1, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UsesMacros(101, &out).code(), StatusCode::kOutOfRange);
}

TEST(StatusTest, StatusOrFromOkStatusIsAnError) {
  StatusOr<int> s(Status::Ok());
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace reco
