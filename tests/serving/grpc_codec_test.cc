// TensorProto codec: tensor_content vs typed *_val round trips, broadcast, and the errors bad tensors get.
#include <gtest/gtest.h>

#include <cstring>

#include "serving/grpc/grpc_status.h"
#include "serving/grpc/tensor_codec.h"

namespace reco::serving::grpc_api {
namespace {

tensorflow::TensorProto Proto(tensorflow::DataType dtype, std::initializer_list<int64_t> dims) {
  tensorflow::TensorProto p;
  p.set_dtype(dtype);
  for (int64_t d : dims) p.mutable_tensor_shape()->add_dim()->set_size(d);
  return p;
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

TEST(TensorCodec, FloatValAndTensorContentDecodeTheSame) {
  auto typed = Proto(tensorflow::DT_FLOAT, {2, 3});
  for (float v : {1.f, 2.f, 3.f, 4.f, 5.f, -6.5f}) typed.add_float_val(v);
  auto raw = Proto(tensorflow::DT_FLOAT, {2, 3});
  std::vector<float> data = {1.f, 2.f, 3.f, 4.f, 5.f, -6.5f};
  raw.set_tensor_content(std::string(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float)));
  Tensor a, b;
  ASSERT_TRUE(DecodeTensorProto(typed, "x", &a).ok());
  ASSERT_TRUE(DecodeTensorProto(raw, "x", &b).ok());
  EXPECT_EQ(a.dtype, DataType::kFloat);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<float>(a), data);
  EXPECT_EQ(Values<float>(b), data);
}

TEST(TensorCodec, SingleValueBroadcasts) {
  auto p = Proto(tensorflow::DT_INT64, {2, 2});
  p.add_int64_val(7);
  Tensor t;
  ASSERT_TRUE(DecodeTensorProto(p, "ids", &t).ok());
  EXPECT_EQ(Values<int64_t>(t), (std::vector<int64_t>{7, 7, 7, 7}));
  auto s = Proto(tensorflow::DT_STRING, {3});
  s.add_string_val("ab");
  ASSERT_TRUE(DecodeTensorProto(s, "s", &t).ok());
  EXPECT_EQ(t.strings, (std::vector<std::string>{"ab", "ab", "ab"}));
}

TEST(TensorCodec, EveryDtypeRoundTripsThroughTypedFieldsAndContent) {
  Tensor src;
  // double
  src.Reset(DataType::kDouble, std::vector<int64_t>{3});
  src.data<double>()[0] = 1.25, src.data<double>()[1] = -2, src.data<double>()[2] = 1e300;
  for (bool content : {false, true}) {
    tensorflow::TensorProto p;
    EncodeTensorProto(src, &p, {.use_tensor_content = content});
    EXPECT_EQ(p.tensor_content().empty(), !content);
    Tensor back;
    ASSERT_TRUE(DecodeTensorProto(p, "d", &back).ok());
    EXPECT_EQ(back.shape, src.shape);
    EXPECT_EQ(back.bytes, src.bytes);
  }
  struct Case {
    DataType dtype;
    std::vector<int64_t> shape;
  };
  for (const Case& c : {Case{DataType::kFloat, {2, 2}}, Case{DataType::kInt32, {4}}, Case{DataType::kInt64, {1, 4}},
                        Case{DataType::kInt8, {4}}, Case{DataType::kUint8, {2, 2}}, Case{DataType::kBool, {4}},
                        Case{DataType::kHalf, {4}}, Case{DataType::kFloat, {0, 3}}, Case{DataType::kFloat, {}}}) {
    src.Reset(c.dtype, c.shape);
    for (size_t i = 0; i < src.bytes.size(); ++i) src.bytes[i] = std::byte(c.dtype == DataType::kBool ? i % 2 : i * 7 + 1);
    for (bool content : {false, true}) {
      tensorflow::TensorProto p;
      EncodeTensorProto(src, &p, {.use_tensor_content = content});
      EXPECT_EQ(p.dtype(), static_cast<int>(c.dtype));
      Tensor back;
      Status s = DecodeTensorProto(p, "t", &back);
      ASSERT_TRUE(s.ok()) << s.ToString() << " dtype " << DataTypeName(c.dtype);
      EXPECT_EQ(back.dtype, c.dtype);
      EXPECT_EQ(back.shape, c.shape);
      EXPECT_EQ(back.bytes, src.bytes) << DataTypeName(c.dtype) << " content=" << content;
    }
  }
  src.Reset(DataType::kString, std::vector<int64_t>{2});
  src.strings = {"x", std::string("\0y", 2)};
  tensorflow::TensorProto p;
  EncodeTensorProto(src, &p, {.use_tensor_content = true});  // strings always go to string_val
  EXPECT_EQ(p.string_val_size(), 2);
  Tensor back;
  ASSERT_TRUE(DecodeTensorProto(p, "s", &back).ok());
  EXPECT_EQ(back.strings, src.strings);
}

TEST(TensorCodec, FloatOutputsUseFloatValByDefault) {
  Tensor t;
  t.Reset(DataType::kFloat, std::vector<int64_t>{1, 2});
  t.data<float>()[0] = 0.5f, t.data<float>()[1] = 0.25f;
  tensorflow::TensorProto p;
  EncodeTensorProto(t, &p);
  ASSERT_EQ(p.float_val_size(), 2);
  EXPECT_EQ(p.float_val(1), 0.25f);
  EXPECT_EQ(p.tensor_shape().dim_size(), 2);
  EXPECT_EQ(p.tensor_shape().dim(1).size(), 2);
}

void ExpectInvalid(const tensorflow::TensorProto& p, const std::string& fragment) {
  Tensor t;
  Status s = DecodeTensorProto(p, "user_input", &t);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("user_input"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(fragment), std::string::npos) << s.message();
}

// Broadcasts count what they expand to, string bytes included, against one budget per request (a 4 KB request
// of one 4000-byte string broadcast to a million elements once took 4 GB).
TEST(TensorCodec, BroadcastsAreChargedToTheRequestsBudget) {
  auto strings = Proto(tensorflow::DT_STRING, {1000000});
  strings.add_string_val(std::string(4000, 'x'));
  ExpectInvalid(strings, "broadcasting one value");

  auto big = Proto(tensorflow::DT_FLOAT, {40 << 20});  // 160 MB each: one fits the 256 MB budget, two do not
  big.add_float_val(0.5f);
  size_t budget = kMaxBroadcastBytes;
  Tensor a, b;
  ASSERT_TRUE(DecodeTensorProto(big, "a", &a, &budget).ok());
  EXPECT_EQ(a.num_elements(), 40 << 20);
  Status second = DecodeTensorProto(big, "b", &b, &budget);
  EXPECT_EQ(second.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b.bytes.capacity(), 0u) << "sized before the check";
}

TEST(TensorCodec, RejectsBadTensors) {
  auto wrong_count = Proto(tensorflow::DT_FLOAT, {2, 2});
  wrong_count.add_float_val(1), wrong_count.add_float_val(2), wrong_count.add_float_val(3);
  ExpectInvalid(wrong_count, "float_val has 3 values but the shape has 4 elements");

  auto missing = Proto(tensorflow::DT_FLOAT, {2});
  missing.add_int64_val(1);  // right count, wrong field for the dtype
  ExpectInvalid(missing, "float_val has 0 values");

  auto bad_content = Proto(tensorflow::DT_FLOAT, {2});
  bad_content.set_tensor_content(std::string(7, '\0'));
  ExpectInvalid(bad_content, "tensor_content has 7 bytes, expected 8");

  auto complex = Proto(tensorflow::DT_COMPLEX64, {1});
  ExpectInvalid(complex, "DT_COMPLEX64");
  auto unknown = Proto(static_cast<tensorflow::DataType>(77), {1});
  ExpectInvalid(unknown, "DataType(77)");

  auto negative = Proto(tensorflow::DT_FLOAT, {-1, 8});
  negative.add_float_val(1);
  ExpectInvalid(negative, "dimension 0 is -1");

  auto huge = Proto(tensorflow::DT_FLOAT, {1 << 20, 1 << 20, 1 << 20});
  huge.add_float_val(1);  // a 5-byte broadcast must not allocate petabytes
  ExpectInvalid(huge, "too large");

  auto unknown_rank = Proto(tensorflow::DT_FLOAT, {});
  unknown_rank.mutable_tensor_shape()->set_unknown_rank(true);
  ExpectInvalid(unknown_rank, "unknown_rank");

  auto string_content = Proto(tensorflow::DT_STRING, {1});
  string_content.set_tensor_content("abcd");
  ExpectInvalid(string_content, "string_val");

  auto empty_broadcast = Proto(tensorflow::DT_FLOAT, {0});
  empty_broadcast.add_float_val(1);
  ExpectInvalid(empty_broadcast, "float_val has 1 values but the shape has 0 elements");
}

TEST(TensorCodec, SignatureDefUsesMinusOneForDynamicDims) {
  class Fake : public Servable {
   public:
    Fake() {
      in_.push_back({"user_input", DataType::kFloat, {-1, 8}});
      out_.push_back({"output", DataType::kFloat, {-1, 1}});
      out_.push_back({"any", DataType::kInt64, {}, /*unknown_rank=*/true});
    }
    const std::vector<TensorInfo>& inputs() const override { return in_; }
    const std::vector<TensorInfo>& outputs() const override { return out_; }
    Status Run(std::span<const NamedTensor>, std::span<const std::string>, std::vector<NamedTensor>*) const override {
      return Status::Ok();
    }
    std::vector<TensorInfo> in_, out_;
  } fake;
  tensorflow::SignatureDef sig;
  MakeSignatureDef(fake, &sig);
  EXPECT_EQ(sig.method_name(), "tensorflow/serving/predict");
  const auto& in = sig.inputs().at("user_input");
  EXPECT_EQ(in.name(), "user_input");
  EXPECT_EQ(in.dtype(), tensorflow::DT_FLOAT);
  ASSERT_EQ(in.tensor_shape().dim_size(), 2);
  EXPECT_EQ(in.tensor_shape().dim(0).size(), -1);
  EXPECT_EQ(in.tensor_shape().dim(1).size(), 8);
  EXPECT_TRUE(sig.outputs().at("any").tensor_shape().unknown_rank());
  EXPECT_EQ(sig.outputs().at("any").dtype(), tensorflow::DT_INT64);
}

TEST(GrpcStatus, MapsCodesOneToOne) {
  EXPECT_TRUE(ToGrpcStatus(Status::Ok()).ok());
  EXPECT_EQ(ToGrpcStatus(InvalidArgumentError("m")).error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ToGrpcStatus(NotFoundError("m")).error_code(), ::grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ToGrpcStatus(ResourceExhaustedError("m")).error_code(), ::grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ToGrpcStatus(UnavailableError("m")).error_code(), ::grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ToGrpcStatus(UnimplementedError("m")).error_code(), ::grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(ToGrpcStatus(DeadlineExceededError("m")).error_code(), ::grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(ToGrpcStatus(InternalError("boom")).error_message(), "boom");
  tensorflow::serving::StatusProto proto;
  ToStatusProto(NotFoundError("gone"), &proto);
  EXPECT_EQ(proto.error_code(), tensorflow::error::NOT_FOUND);
  EXPECT_EQ(proto.error_message(), "gone");
}

}  // namespace
}  // namespace reco::serving::grpc_api
