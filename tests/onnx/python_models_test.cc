// Models exported by Python torch (fixture models_generate, tests/models/README.md) run in reco's engine with
// torch's own outputs: max abs difference <= 1e-5 for every test_data_set. Skips when the fixture did not run
// (no torch in /usr/bin/python3).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/session.h"
#include "engine/tensor_proto.h"

namespace reco {
namespace {

namespace fs = std::filesystem;

fs::path ModelsDir() {
  const char* dir = std::getenv("RECO_MODELS_DIR");
  return dir == nullptr ? fs::path() : fs::path(dir);
}

StatusOr<engine::Tensor> ReadPb(const fs::path& path, std::string* name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(path.string() + ": missing");
  onnx::TensorProto proto;
  if (!proto.ParseFromIstream(&in)) return DataLossError(path.string() + ": not a TensorProto");
  *name = proto.name();
  return engine::TensorFromProto(proto);
}

class PythonModelsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PythonModelsTest, EngineMatchesTorch) {
  const fs::path root = ModelsDir();
  if (root.empty() || !fs::exists(root / "COMPLETE")) {
    GTEST_SKIP() << "reference models not generated (RECO_MODELS_DIR unset or no COMPLETE; fixture models_generate)";
  }
  const fs::path dir = root / GetParam();
  auto session = engine::Session::Load((dir / "model.onnx").string());
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  int sets = 0;
  for (int k = 0; fs::exists(dir / ("test_data_set_" + std::to_string(k))); ++k, ++sets) {
    const fs::path set = dir / ("test_data_set_" + std::to_string(k));
    std::vector<std::string> names;
    std::vector<engine::Tensor> inputs;
    for (int i = 0; fs::exists(set / ("input_" + std::to_string(i) + ".pb")); ++i) {
      std::string name;
      auto t = ReadPb(set / ("input_" + std::to_string(i) + ".pb"), &name);
      ASSERT_TRUE(t.ok()) << t.status().ToString();
      names.push_back(name);
      inputs.push_back(std::move(t).value());
    }
    std::vector<engine::NamedView> views;
    for (size_t i = 0; i < inputs.size(); ++i) views.push_back({names[i], inputs[i].view()});
    auto outputs = (*session)->Run(views);
    ASSERT_TRUE(outputs.ok()) << GetParam() << " set " << k << ": " << outputs.status().ToString();
    for (int i = 0; fs::exists(set / ("output_" + std::to_string(i) + ".pb")); ++i) {
      std::string name;
      auto want = ReadPb(set / ("output_" + std::to_string(i) + ".pb"), &name);
      ASSERT_TRUE(want.ok()) << want.status().ToString();
      ASSERT_LT(static_cast<size_t>(i), outputs->size());
      const engine::Tensor& got = (*outputs)[i].tensor;
      EXPECT_EQ((*outputs)[i].name, name);
      ASSERT_EQ(got.shape(), want->shape()) << GetParam() << " set " << k << " output " << name;
      ASSERT_EQ(got.dtype(), engine::DType::kFloat32);
      float max_diff = 0;
      auto g = got.span<float>();
      auto w = want->span<float>();
      for (size_t j = 0; j < g.size(); ++j) max_diff = std::max(max_diff, std::abs(g[j] - w[j]));
      EXPECT_LE(max_diff, 1e-5f) << GetParam() << " set " << k << " output " << name;
    }
  }
  EXPECT_GT(sets, 0) << "no test_data_set_* in " << dir;
}

INSTANTIATE_TEST_SUITE_P(Models, PythonModelsTest, ::testing::Values("mlp", "cnn", "seed", "din", "ranker_din"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace reco
