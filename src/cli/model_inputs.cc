#include "cli/model_inputs.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

namespace reco::cli {
namespace {

std::string SafeName(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') c = '_';
  }
  return out;
}

bool LooksLikeMask(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find("mask") != std::string::npos;
}

}  // namespace

std::vector<engine::NamedView> ModelInputs::views() const {
  std::vector<engine::NamedView> v;
  for (const auto& t : tensors) v.push_back({t.name, t.tensor.view()});
  return v;
}

StatusOr<std::vector<std::pair<std::string, int64_t>>> IdRanges(const std::string& model_path) {
  std::ifstream in(model_path, std::ios::binary);
  if (!in) return NotFoundError(model_path + ": cannot open");
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&in)) return InvalidArgumentError(model_path + ": not a valid ONNX model");
  std::map<std::string, int64_t> table_rows;
  for (const auto& init : model.graph().initializer()) {
    if (init.dims_size() > 0) table_rows[init.name()] = init.dims(0);
  }
  // Follow ids through shape-only ops (Cast, Reshape, Flatten, Unsqueeze, Squeeze) to the Gather that uses them.
  std::map<std::string, std::string> origin;  // value -> graph input it carries
  for (const auto& in_info : model.graph().input()) origin[in_info.name()] = in_info.name();
  std::vector<std::pair<std::string, int64_t>> ranges;
  for (const auto& node : model.graph().node()) {
    const std::string& op = node.op_type();
    if ((op == "Cast" || op == "Reshape" || op == "Flatten" || op == "Unsqueeze" || op == "Squeeze") &&
        node.input_size() > 0 && origin.count(node.input(0)) && node.output_size() > 0) {
      origin[node.output(0)] = origin[node.input(0)];
    }
    if (op == "Gather" && node.input_size() == 2 && origin.count(node.input(1)) && table_rows.count(node.input(0))) {
      const std::string& input = origin[node.input(1)];
      const int64_t rows = table_rows[node.input(0)];
      auto it = std::find_if(ranges.begin(), ranges.end(), [&](const auto& p) { return p.first == input; });
      if (it == ranges.end()) {
        ranges.emplace_back(input, rows);
      } else {
        it->second = std::min(it->second, rows);
      }
    }
  }
  return ranges;
}

StatusOr<ModelInputs> MakeInputs(const engine::Session& session, const std::string& model_path, int64_t batch,
                                 uint64_t seed, int64_t other_dim, const std::map<std::string, int64_t>& named_dims) {
  ASSIGN_OR_RETURN(auto ranges, IdRanges(model_path));
  std::mt19937_64 rng(seed);
  ModelInputs out;
  for (const auto& info : session.inputs()) {
    engine::Shape shape;
    for (size_t d = 0; d < info.shape.size(); ++d) {
      const std::string& param = d < info.dim_params.size() ? info.dim_params[d] : std::string();
      const auto named = param.empty() ? named_dims.end() : named_dims.find(param);
      if (info.shape[d] >= 0) {
        shape.push_back(info.shape[d]);
      } else if (named != named_dims.end()) {
        shape.push_back(named->second);
      } else {
        shape.push_back(d == 0 ? batch : other_dim);
      }
    }
    // Generated inputs are for timing and inspection: refuse sizes that could not be held in memory anyway (a
    // huge --batch once wrapped the element count to 0 and wrote through a null buffer).
    constexpr int64_t kMaxInputBytes = int64_t{8} << 30;
    const int64_t elements = shape.CheckedNumElements();
    if (elements < 0 || elements * static_cast<int64_t>(engine::DTypeSize(info.dtype)) > kMaxInputBytes) {
      return InvalidArgumentError("input '" + info.name + "' would have shape " + shape.ToString() +
                                  ": too large for generated inputs (at most 8 GiB each); use a smaller --batch or --dim");
    }
    engine::Tensor t(info.dtype, shape);
    const int64_t n = t.num_elements();
    switch (info.dtype) {
      case engine::DType::kFloat32: {
        float* p = t.data<float>();
        if (LooksLikeMask(info.name) && shape.rank() >= 1) {
          const int64_t row = shape[shape.rank() - 1];
          for (int64_t r = 0; r < n / std::max<int64_t>(row, 1); ++r) {
            const int64_t len = 1 + static_cast<int64_t>(rng() % std::max<int64_t>(row, 1));
            for (int64_t j = 0; j < row; ++j) p[r * row + j] = j < len ? 1.0f : 0.0f;
          }
        } else {
          std::uniform_real_distribution<float> u(0.0f, 1.0f);
          for (int64_t i = 0; i < n; ++i) p[i] = u(rng);
        }
        break;
      }
      case engine::DType::kInt64:
      case engine::DType::kInt32: {
        int64_t vocab = 100;
        for (const auto& [name, rows] : ranges) {
          if (name == info.name) vocab = rows;
        }
        for (int64_t i = 0; i < n; ++i) {
          const int64_t id = static_cast<int64_t>(rng() % static_cast<uint64_t>(std::max<int64_t>(vocab, 1)));
          if (info.dtype == engine::DType::kInt64) {
            t.data<int64_t>()[i] = id;
          } else {
            t.data<int32_t>()[i] = static_cast<int32_t>(id);
          }
        }
        break;
      }
      case engine::DType::kBool:
        for (int64_t i = 0; i < n; ++i) t.data<bool>()[i] = (rng() & 1) != 0;
        break;
      default:
        return UnimplementedError("input '" + info.name + "' has dtype " + std::string(engine::DTypeName(info.dtype)) +
                                  ", which bench inputs do not generate");
    }
    out.tensors.push_back({info.name, std::move(t)});
  }
  return out;
}

Status DumpTensors(const std::string& dir, const std::vector<engine::NamedView>& tensors, const std::string& prefix,
                   bool write_spec) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InternalError("cannot create " + dir + ": " + ec.message());
  std::string spec = "{\"inputs\": [";
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, view] = tensors[i];
    const std::string path = dir + "/" + prefix + SafeName(std::string(name)) + ".bin";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(static_cast<const char*>(view.data), static_cast<std::streamsize>(view.byte_size()));
    if (!out) return InternalError("cannot write " + path);
    spec += std::string(i ? ", " : "") + "{\"name\": \"" + std::string(name) + "\", \"dtype\": \"" +
            std::string(engine::DTypeName(view.dtype) == "float" ? "float32" : engine::DTypeName(view.dtype)) +
            "\", \"shape\": [";
    for (int d = 0; d < view.shape.rank(); ++d) spec += (d ? ", " : "") + std::to_string(view.shape[d]);
    spec += "]}";
  }
  spec += "]}\n";
  if (write_spec) {
    std::ofstream out(dir + "/inputs.json", std::ios::trunc);
    out << spec;
    if (!out) return InternalError("cannot write " + dir + "/inputs.json");
  }
  return Status::Ok();
}

}  // namespace reco::cli
