// External data: read from inside the model folder only (no "..", absolute paths or symlinks out of it).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/session.h"
#include "engine/tiny_model.h"

namespace reco::engine {
namespace {

namespace fs = std::filesystem;

class ExternalDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("reco_engine_ext_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "model");
    fs::create_directories(root_ / "outside");
    const float w[3] = {1.f, 2.f, 3.f};
    for (const fs::path& p : {root_ / "model" / "w.bin", root_ / "outside" / "w.bin"}) {
      std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(w), sizeof(w));
    }
  }
  void TearDown() override { fs::remove_all(root_); }

  // y = x + w, w stored externally at `location`.
  StatusOr<std::unique_ptr<Session>> LoadWith(const std::string& location, bool checker = false) {
    testing::TinyModel m;
    m.Input("x", DType::kFloat32, {3}).Node("Add", {"x", "w"}, {"y"}).Output("y", DType::kFloat32, {3});
    auto* t = m.proto().mutable_graph()->add_initializer();
    t->set_name("w");
    t->set_data_type(1);
    t->add_dims(3);
    t->set_data_location(onnx::TensorProto::EXTERNAL);
    auto* kv = t->add_external_data();
    kv->set_key("location");
    kv->set_value(location);
    const fs::path path = root_ / "model" / "model.onnx";
    std::ofstream(path, std::ios::binary) << m.Bytes();
    SessionOptions o;
    o.validate_with_onnx_checker = checker;  // off: the engine's own path checks are under test
    return Session::Load(path.string(), o);
  }

  fs::path root_;
};

TEST_F(ExternalDataTest, ReadsFileInsideTheModelFolder) {
  auto s = LoadWith("w.bin");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Tensor x = Tensor::FromVector<float>(Shape{3}, {10.f, 20.f, 30.f});
  NamedView in{"x", x.view()};
  auto out = (*s)->Run({&in, 1});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].tensor.data<float>()[2], 33.f);
}

TEST_F(ExternalDataTest, LoadsWithTheOnnxCheckerOn) {
  auto s = LoadWith("w.bin", /*checker=*/true);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(LoadWith("../outside/w.bin", /*checker=*/true).ok());
}

TEST_F(ExternalDataTest, RejectsDotDot) {
  auto s = LoadWith("../outside/w.bin");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.status().message().find("leaves the model folder"), std::string::npos) << s.status().ToString();
}

TEST_F(ExternalDataTest, RejectsAbsolutePath) {
  auto s = LoadWith((root_ / "outside" / "w.bin").string());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.status().message().find("absolute"), std::string::npos) << s.status().ToString();
}

TEST_F(ExternalDataTest, RejectsSymlinkLeavingTheFolder) {
  fs::create_symlink(root_ / "outside" / "w.bin", root_ / "model" / "link.bin");
  auto s = LoadWith("link.bin");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.status().message().find("resolves outside"), std::string::npos) << s.status().ToString();
  fs::create_directory_symlink(root_ / "outside", root_ / "model" / "dir");
  auto d = LoadWith("dir/w.bin");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(ExternalDataTest, MissingOrShortFileIsAnError) {
  auto missing = LoadWith("nope.bin");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("tensor 'w' external data"), std::string::npos)
      << missing.status().ToString();
  std::ofstream(root_ / "model" / "short.bin", std::ios::binary) << "ab";
  auto short_file = LoadWith("short.bin");
  ASSERT_FALSE(short_file.ok());
  EXPECT_EQ(short_file.status().code(), StatusCode::kDataLoss);
}

TEST_F(ExternalDataTest, BytesWithoutFolderRejectExternalData) {
  testing::TinyModel m;
  m.Input("x", DType::kFloat32, {3}).Node("Add", {"x", "w"}, {"y"}).Output("y", DType::kFloat32, {3});
  auto* t = m.proto().mutable_graph()->add_initializer();
  t->set_name("w");
  t->set_data_type(1);
  t->add_dims(3);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = t->add_external_data();
  kv->set_key("location");
  kv->set_value("w.bin");
  SessionOptions o;
  o.validate_with_onnx_checker = false;
  auto s = Session::LoadFromBytes(m.Bytes(), o);
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace reco::engine
