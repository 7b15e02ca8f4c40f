// TensorProto <-> serving::Tensor: the gRPC edge's tensor codec (TensorFlow's wire format).
//
// Decoding accepts both encodings TF clients send: `tensor_content` (raw little-endian bytes of the whole
// tensor, as tf.make_tensor_proto writes for numpy arrays) and the typed `*_val` fields (float_val, int64_val,
// ...; what hand-written clients fill). A typed field holding a single value broadcasts it to the whole shape,
// as TensorFlow does. Errors are InvalidArgument naming the tensor, the dtype and the counts involved.
// Encoding writes the typed `*_val` fields by default, as TF Serving's Predict does (clients commonly read
// `outputs['y'].float_val`); `use_tensor_content` writes raw bytes instead.
// Thread-safety: free functions over caller-owned data.
#pragma once

#include <string_view>

#include "core/status.h"
#include "serving/servable.h"
#include "serving/tensor.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"

namespace reco::serving::grpc_api {

// Broadcasts (one value for many elements) may not expand beyond this many bytes in total per request (string
// lengths included): a 10-byte request must not make the server allocate gigabytes. Values that are all in the
// request need no cap: gRPC's message size limit already bounds them.
inline constexpr size_t kMaxBroadcastBytes = size_t{256} << 20;

// kInvalid for TF DataTypes reco does not serve (e.g. DT_COMPLEX64).
DataType FromTfDataType(int tf_dtype);
tensorflow::DataType ToTfDataType(DataType dtype);
// "DT_COMPLEX64" for messages (the number if the enum has no name).
std::string TfDataTypeName(int tf_dtype);

// Decodes `proto` into `out` (buffers reused). `name` is only used in error messages. A broadcast is charged to
// `broadcast_budget` (bytes left for the whole request; nullptr: kMaxBroadcastBytes for this tensor alone), and
// every size is checked before anything is allocated.
Status DecodeTensorProto(const tensorflow::TensorProto& proto, std::string_view name, Tensor* out,
                         size_t* broadcast_budget = nullptr);

struct EncodeOptions {
  bool use_tensor_content = false;
};
void EncodeTensorProto(const Tensor& tensor, tensorflow::TensorProto* proto, const EncodeOptions& options = {});

// The signature of a servable as TF's SignatureDef (method "tensorflow/serving/predict", dims -1 for dynamic).
void MakeSignatureDef(const Servable& servable, tensorflow::SignatureDef* signature);

}  // namespace reco::serving::grpc_api
