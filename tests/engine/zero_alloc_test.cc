// Proves that Session::Run with a warm RunContext does not touch the heap: this binary interposes the C
// allocator (engine/malloc_counter.h) and compares the call count before and after the runs.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>

#include "engine/malloc_counter.h"  // defines the process's malloc hook
#include "engine/session.h"
#include "engine/tiny_model.h"

using reco::testing::kAllocHook;
using reco::testing::MallocCalls;

namespace reco::engine {
namespace {

using testing::AttrInt;
using testing::TinyModel;

TEST(ZeroAllocTest, HookCountsAllocations) {
  if (!kAllocHook) GTEST_SKIP() << "allocation hook is off under AddressSanitizer";
  const long before = MallocCalls();
  auto* p = new std::vector<int>(100);
  const long allocs = MallocCalls() - before;
  delete p;
  EXPECT_GE(allocs, 1);  // the hook works, so a zero below means something
}

TEST(ZeroAllocTest, WarmRunDoesNotAllocate) {
  if (!kAllocHook) GTEST_SKIP() << "allocation hook is off under AddressSanitizer";
  // A CTR-like mix: embedding Gather, data-dependent Reshape, broadcasting, Concat, Where, Transpose, Cast, Slice.
  TinyModel m(13);
  m.Input("ids", DType::kInt64, {-1, 4})
      .Input("dense", DType::kFloat32, {-1, 8})
      .Init<float>("table", {10, 2}, std::vector<float>(20, 0.5f))
      .Init<int64_t>("zero", {}, {0})
      .Init<int64_t>("axes0", {1}, {0})
      .Init<int64_t>("eight", {1}, {8})
      .Init<float>("bias", {8}, std::vector<float>(8, 0.25f))
      .Init<int64_t>("s0", {1}, {0})
      .Init<int64_t>("s1", {1}, {4})
      .Init<int64_t>("sax", {1}, {1})
      .Node("Gather", {"table", "ids"}, {"emb"}, {AttrInt("axis", 0)})
      .Node("Shape", {"ids"}, {"shape"})
      .Node("Gather", {"shape", "zero"}, {"n"}, {AttrInt("axis", 0)})
      .Node("Unsqueeze", {"n", "axes0"}, {"n1"})
      .Node("Concat", {"n1", "eight"}, {"target"}, {AttrInt("axis", 0)})
      .Node("Reshape", {"emb", "target"}, {"flat"})
      .Node("Add", {"flat", "bias"}, {"h"})
      .Node("Sigmoid", {"dense"}, {"g"})
      .Node("Greater", {"g", "h"}, {"mask"})
      .Node("Where", {"mask", "g", "h"}, {"w"})
      .Node("Concat", {"w", "dense"}, {"cat"}, {AttrInt("axis", 1)})
      .Node("Transpose", {"cat"}, {"t"}, {testing::AttrInts("perm", {1, 0})})
      .Node("Slice", {"cat", "s0", "s1", "sax"}, {"sl"})
      .Node("Cast", {"mask"}, {"maskf"}, {AttrInt("to", 1)})
      .Output("t", DType::kFloat32, {16, -1})
      .Output("sl", DType::kFloat32, {-1, 4})
      .Output("maskf", DType::kFloat32, {-1, 8});
  auto s = Session::LoadFromBytes(m.Bytes());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  RunContext ctx;
  for (int64_t batch : {3, 7}) {
    Tensor ids(DType::kInt64, Shape{batch, 4});
    for (int64_t i = 0; i < ids.num_elements(); ++i) ids.data<int64_t>()[i] = i % 10;
    Tensor dense(DType::kFloat32, Shape{batch, 8});
    for (int64_t i = 0; i < dense.num_elements(); ++i) dense.data<float>()[i] = 0.1f * static_cast<float>(i % 13) - 0.6f;
    const NamedView inputs[] = {{"ids", ids.view()}, {"dense", dense.view()}};
    ASSERT_TRUE((*s)->Run(inputs, &ctx).ok());  // cold: plans and sizes the arena
    const long before = MallocCalls();
    Status st;
    for (int i = 0; i < 100; ++i) st = (*s)->Run(inputs, &ctx);
    const long allocs = MallocCalls() - before;
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(allocs, 0) << "heap allocations in 100 warm runs at batch " << batch;
    EXPECT_EQ(ctx.output("t")->shape, (Shape{16, batch}));
    EXPECT_EQ(ctx.output("sl")->shape, (Shape{batch, 4}));
  }
  // Switching back to a seen signature on the same context is also allocation-free.
  Tensor ids(DType::kInt64, Shape{3, 4});
  Tensor dense(DType::kFloat32, Shape{3, 8});
  const NamedView inputs[] = {{"ids", ids.view()}, {"dense", dense.view()}};
  const long before = MallocCalls();
  Status st = (*s)->Run(inputs, &ctx);
  const long allocs = MallocCalls() - before;
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(allocs, 0);
}

}  // namespace
}  // namespace reco::engine
