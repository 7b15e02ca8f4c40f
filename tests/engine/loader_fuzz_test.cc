// A deterministic, compiler-independent fuzz run: byte flips, truncations and splices of real models (the ONNX
// backend tests' model.onnx files plus tiny graphs) through the loader and one Run. Passing means no crash, no
// sanitizer report (in a RECO_SANITIZE build) and no hang. The libFuzzer target does the open-ended version.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "engine/fuzz_body.h"
#include "engine/tiny_model.h"

namespace reco::engine {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  testing::TinyModel m(13);
  m.Input("x", DType::kFloat32, {-1, 2, 3})
      .Init<int64_t>("zero", {}, {0})
      .Init<int64_t>("axes0", {1}, {0})
      .Init<int64_t>("six", {1}, {6})
      .Init<float>("table", {4, 6}, std::vector<float>(24, 1.f))
      .Node("Shape", {"x"}, {"shape"})
      .Node("Gather", {"shape", "zero"}, {"n"}, {testing::AttrInt("axis", 0)})
      .Node("Unsqueeze", {"n", "axes0"}, {"n1"})
      .Node("Concat", {"n1", "six"}, {"target"}, {testing::AttrInt("axis", 0)})
      .Node("Reshape", {"x", "target"}, {"flat"})
      .Node("Add", {"flat", "table"}, {"y"})
      .Output("y", DType::kFloat32, {-1, 6});
  seeds.push_back(m.Bytes());
  const fs::path root = "/usr/share/libonnx-testdata/data/node";
  for (const char* name : {"test_gather_0", "test_slice", "test_expand_dim_changed", "test_concat_3d_axis_1",
                           "test_transpose_default", "test_where_example", "test_cast_FLOAT_to_DOUBLE",
                           "test_split_variable_parts_1d", "test_tile", "test_unsqueeze_axis_0"}) {
    std::ifstream in(root / name / "model.onnx", std::ios::binary);
    if (!in) continue;
    std::stringstream ss;
    ss << in.rdbuf();
    seeds.push_back(ss.str());
  }
  return seeds;
}

TEST(LoaderFuzzTest, MutatedModelsNeverCrash) {
  const std::vector<std::string> seeds = Seeds();
  std::mt19937 rng(1234);
  int cases = 0;
  for (const std::string& seed : seeds) {
    testing::LoadAndRunOnce(seed);
    for (int iter = 0; iter < 1000; ++iter) {
      std::string b = seed;
      switch (rng() % 4) {
        case 0:  // flip a few bytes
          for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) b[rng() % b.size()] = static_cast<char>(rng());
          break;
        case 1:  // truncate
          b.resize(rng() % b.size());
          break;
        case 2: {  // splice a chunk of another seed
          const std::string& other = seeds[rng() % seeds.size()];
          const size_t at = rng() % b.size(), from = rng() % other.size();
          b.replace(at, std::min<size_t>(rng() % 32, b.size() - at), other.substr(from, rng() % 32));
          break;
        }
        default:  // small integers are protobuf varints: dims, types, attribute values
          b[rng() % b.size()] = static_cast<char>(rng() % 16);
          break;
      }
      testing::LoadAndRunOnce(b);
      ++cases;
    }
  }
  EXPECT_GT(cases, 0);
}

}  // namespace
}  // namespace reco::engine
