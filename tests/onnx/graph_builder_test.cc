// GraphBuilder: valid graphs pass checker + strict shape inference; malformed ones fail with a named culprit.
#include "onnx/graph_builder.h"

#include <gtest/gtest.h>
#include <onnx/checker.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace reco::onnx_export {
namespace {

// x[batch,3] -> Gemm(W[2,3], b[2], transB) -> Relu -> y[batch,2]
GraphBuilder TinyMlp(std::vector<Dim> out_shape = {Dim::Batch(), Dim::Fixed(2)}) {
  GraphBuilder b("tiny");
  b.AddInput("x", ElemType::kFloat, {Dim::Batch(), Dim::Fixed(3)});
  const std::vector<float> w = {1, 2, 3, 4, 5, 6};
  const std::vector<float> bias = {0.5f, -0.5f};
  b.AddInitializer("W", w, {2, 3});
  b.AddInitializer("B", bias, {2});
  const std::string h = b.UniqueName("h");
  b.AddNode("Gemm", {"x", "W", "B"}, {h}, {{"transB", int64_t{1}}});
  b.AddNode("Relu", {h}, {"y"});
  b.AddOutput("y", ElemType::kFloat, out_shape);
  b.SetMetadata("reco.model_kind", "tiny");
  return b;
}

TEST(GraphBuilderTest, BuildsValidModelWithHeaderFields) {
  auto model = TinyMlp().Build();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->producer_name(), "reco");
  EXPECT_EQ(model->ir_version(), 7);
  ASSERT_EQ(model->opset_import_size(), 1);
  EXPECT_EQ(model->opset_import(0).domain(), "");
  EXPECT_EQ(model->opset_import(0).version(), 14);
  ASSERT_EQ(model->metadata_props_size(), 1);
  EXPECT_EQ(model->metadata_props(0).key(), "reco.model_kind");
  EXPECT_EQ(model->metadata_props(0).value(), "tiny");
  const auto& in = model->graph().input(0).type().tensor_type();
  EXPECT_EQ(in.elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(in.shape().dim(0).dim_param(), "batch_size");
  EXPECT_EQ(in.shape().dim(1).dim_value(), 3);
  ASSERT_EQ(model->graph().node_size(), 2);
  EXPECT_EQ(model->graph().node(0).op_type(), "Gemm");
  EXPECT_EQ(model->graph().node(0).attribute(0).i(), 1);
  EXPECT_NO_THROW(onnx::checker::check_model(*model));
}

TEST(GraphBuilderTest, InitializersAreLittleEndianRawData) {
  auto model = TinyMlp().Build();
  ASSERT_TRUE(model.ok());
  const auto& w = model->graph().initializer(0);
  EXPECT_EQ(w.name(), "W");
  EXPECT_EQ(w.data_type(), onnx::TensorProto::FLOAT);
  ASSERT_EQ(w.dims_size(), 2);
  EXPECT_EQ(w.float_data_size(), 0);
  ASSERT_EQ(w.raw_data().size(), 6 * sizeof(float));
  const unsigned char* p = reinterpret_cast<const unsigned char*>(w.raw_data().data());
  // 1.0f = 0x3F800000, least significant byte first.
  EXPECT_EQ(p[0], 0x00);
  EXPECT_EQ(p[3], 0x3F);
  float back[6];
  std::memcpy(back, w.raw_data().data(), sizeof(back));
  EXPECT_EQ(back[5], 6.0f);
}

TEST(GraphBuilderTest, Int64InitializerAndOpsetOverride) {
  GraphBuilder b("reshape", /*opset=*/17);
  b.AddInput("x", ElemType::kFloat, {Dim::Batch(), Dim::Fixed(2), Dim::Fixed(3)});
  const std::vector<int64_t> shape = {0, 6};
  b.AddInitializer("shape", shape, {2});
  b.AddNode("Reshape", {"x", "shape"}, {"y"});
  b.AddOutput("y", ElemType::kFloat, {Dim::Batch(), Dim::Fixed(6)});
  auto model = b.Build();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->ir_version(), 8);
  EXPECT_EQ(model->opset_import(0).version(), 17);
  EXPECT_EQ(model->graph().initializer(0).data_type(), onnx::TensorProto::INT64);
}

TEST(GraphBuilderTest, InitializerSizeMismatchNamesTheTensor) {
  GraphBuilder b("bad");
  const std::vector<float> w = {1, 2, 3};
  b.AddInitializer("W", w, {2, 2});
  auto model = b.Build();
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find("'W'"), std::string::npos) << model.status().message();
  EXPECT_NE(model.status().message().find("needs 4 values, got 3"), std::string::npos);
}

TEST(GraphBuilderTest, DuplicateNamesAreRejected) {
  GraphBuilder b("dup");
  b.AddInput("x", ElemType::kFloat, {Dim::Batch()});
  b.AddNode("Relu", {"x"}, {"y"});
  b.AddNode("Relu", {"x"}, {"y"});
  b.AddOutput("y", ElemType::kFloat, {Dim::Batch()});
  auto model = b.Build();
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("output 'y' is already defined"), std::string::npos)
      << model.status().message();
}

TEST(GraphBuilderTest, UniqueNameNeverRepeats) {
  GraphBuilder b("names");
  EXPECT_EQ(b.UniqueName("h"), "h");
  EXPECT_EQ(b.UniqueName("h"), "h_1");
  EXPECT_EQ(b.UniqueName("h"), "h_2");
  b.AddInput("x", ElemType::kFloat, {Dim::Batch()});
  EXPECT_EQ(b.UniqueName("x"), "x_1");
}

TEST(GraphBuilderTest, CheckerRejectsUnknownOp) {
  GraphBuilder b("unknown");
  b.AddInput("x", ElemType::kFloat, {Dim::Batch()});
  b.AddNode("NoSuchOp", {"x"}, {"y"});
  b.AddOutput("y", ElemType::kFloat, {Dim::Batch()});
  auto model = b.Build();
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("NoSuchOp"), std::string::npos) << model.status().message();
}

TEST(GraphBuilderTest, CheckerRejectsUndefinedInput) {
  GraphBuilder b("dangling");
  b.AddInput("x", ElemType::kFloat, {Dim::Batch()});
  b.AddNode("Add", {"x", "missing"}, {"y"});
  b.AddOutput("y", ElemType::kFloat, {Dim::Batch()});
  auto model = b.Build();
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("missing"), std::string::npos) << model.status().message();
}

TEST(GraphBuilderTest, ShapeInferenceRejectsWrongDeclaredOutputShape) {
  auto model = TinyMlp({Dim::Batch(), Dim::Fixed(5)}).Build();  // Gemm gives [batch, 2]
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("shape inference"), std::string::npos) << model.status().message();
}

TEST(GraphBuilderTest, ShapeInferenceRejectsIncompatibleMatMul) {
  GraphBuilder b("matmul");
  b.AddInput("x", ElemType::kFloat, {Dim::Batch(), Dim::Fixed(4)});
  const std::vector<float> w(6, 1.0f);
  b.AddInitializer("W", w, {3, 2});  // needs K = 3, input has 4
  b.AddNode("MatMul", {"x", "W"}, {"y"});
  b.AddOutput("y", ElemType::kFloat, {Dim::Batch(), Dim::Fixed(2)});
  auto model = b.Build();
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("MatMul"), std::string::npos) << model.status().message();
}

TEST(GraphBuilderTest, StrictTypeCheckRejectsIntSigmoid) {
  GraphBuilder b("types");
  b.AddInput("x", ElemType::kInt32, {Dim::Batch()});
  b.AddNode("Sigmoid", {"x"}, {"y"});
  b.AddOutput("y", ElemType::kInt32, {Dim::Batch()});
  EXPECT_FALSE(b.Build().ok());
}

TEST(GraphBuilderTest, WriteThenReadRoundTrips) {
  auto model = TinyMlp().Build();
  ASSERT_TRUE(model.ok());
  const std::string path = (std::filesystem::temp_directory_path() / "reco_graph_builder_test.onnx").string();
  ASSERT_TRUE(WriteModel(*model, path).ok());
  EXPECT_NO_THROW(onnx::checker::check_model(path));
  auto back = ReadModel(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->SerializeAsString(), model->SerializeAsString());
  std::filesystem::remove(path);
}

TEST(GraphBuilderTest, ReadModelReportsMissingAndCorruptFiles) {
  EXPECT_EQ(ReadModel("/nonexistent/x.onnx").status().code(), StatusCode::kNotFound);
  const std::string path = (std::filesystem::temp_directory_path() / "reco_graph_builder_corrupt.onnx").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << "\xff\xff\xff garbage";
  }
  EXPECT_EQ(ReadModel(path).status().code(), StatusCode::kDataLoss);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace reco::onnx_export
