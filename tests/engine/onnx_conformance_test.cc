// Conformance harness: runs ONNX's backend node tests (Debian's libonnx-testdata) for every op the engine claims.
//
// For each directory of /usr/share/libonnx-testdata/data/node (override: RECO_ONNX_NODE_TESTS_DIR) whose model
// uses only ops the registry claims, load model.onnx, feed every test_data_set_*/input_*.pb and compare with
// output_*.pb (floats: |got - want| <= 1e-5 + 1e-4 * |want|, NaN == NaN; integers and bools exact).
// Tests with an unclaimed op are skipped and counted. A load or run that fails with UNIMPLEMENTED (a dtype such as
// string/float16, or an opset the engine does not register) is counted as "unsupported variant" and listed in
// docs/op_coverage.md; every other failure of a claimed op fails this test.
//   RECO_CONFORMANCE_FILTER=gemm,matmul   only directories whose name contains one of the substrings
//   RECO_WRITE_OP_COVERAGE=1              rewrite docs/op_coverage.md (run from the source root, as ctest does)
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "engine/kernels/registry.h"
#include "engine/session.h"
#include "engine/tensor_proto.h"

namespace reco::engine {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

template <typename T>
bool CompareTyped(const Tensor& got, const Tensor& want, std::string* why) {
  const T* g = got.data<T>();
  const T* w = want.data<T>();
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    if constexpr (std::is_floating_point_v<T>) {
      const double gv = g[i], wv = w[i];
      if (std::isnan(wv) && std::isnan(gv)) continue;
      if (std::isinf(wv) && gv == wv) continue;
      if (!(std::fabs(gv - wv) <= 1e-5 + 1e-4 * std::fabs(wv))) {
        *why = "element " + std::to_string(i) + ": got " + std::to_string(gv) + ", want " + std::to_string(wv);
        return false;
      }
    } else {
      if (g[i] != w[i]) {
        *why = "element " + std::to_string(i) + ": got " + std::to_string(static_cast<int64_t>(g[i])) + ", want " +
               std::to_string(static_cast<int64_t>(w[i]));
        return false;
      }
    }
  }
  return true;
}

bool Compare(const Tensor& got, const Tensor& want, std::string* why) {
  if (got.dtype() != want.dtype()) {
    *why = "dtype " + std::string(DTypeName(got.dtype())) + " vs " + std::string(DTypeName(want.dtype()));
    return false;
  }
  if (got.shape() != want.shape()) {
    *why = "shape " + got.shape().ToString() + " vs " + want.shape().ToString();
    return false;
  }
  switch (want.dtype()) {
    case DType::kFloat32: return CompareTyped<float>(got, want, why);
    case DType::kFloat64: return CompareTyped<double>(got, want, why);
    case DType::kInt64: return CompareTyped<int64_t>(got, want, why);
    case DType::kInt32: return CompareTyped<int32_t>(got, want, why);
    case DType::kBool: return CompareTyped<bool>(got, want, why);
    case DType::kInt8: return CompareTyped<int8_t>(got, want, why);
    case DType::kUint8: return CompareTyped<uint8_t>(got, want, why);
    case DType::kFloat16: {
      Tensor g(DType::kFloat32, got.shape()), w(DType::kFloat32, want.shape());
      for (int64_t i = 0; i < want.num_elements(); ++i) {
        g.data<float>()[i] = HalfToFloat(got.data<uint16_t>()[i]);
        w.data<float>()[i] = HalfToFloat(want.data<uint16_t>()[i]);
      }
      return CompareTyped<float>(g, w, why);
    }
    default: *why = "uncomparable dtype"; return false;
  }
}

// Runs one backend test directory; returns "" on success or the reason of the failure.
std::string RunCase(const fs::path& dir) {
  StatusOr<std::unique_ptr<Session>> session = Session::Load((dir / "model.onnx").string());
  if (!session.ok()) return "load: " + session.status().ToString();
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  }
  std::sort(sets.begin(), sets.end());
  const auto& inputs = (*session)->inputs();
  for (const fs::path& set : sets) {
    std::vector<Tensor> in_tensors;
    for (size_t i = 0;; ++i) {
      fs::path p = set / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) break;
      onnx::TensorProto proto;
      if (!proto.ParseFromString(ReadFile(p))) return "cannot parse " + p.string();
      StatusOr<Tensor> t = TensorFromProto(proto);
      if (!t.ok()) return "input: " + t.status().ToString();
      in_tensors.push_back(std::move(t).value());
    }
    if (in_tensors.size() != inputs.size()) {
      return set.filename().string() + ": " + std::to_string(in_tensors.size()) + " input files for " +
             std::to_string(inputs.size()) + " model inputs";
    }
    std::vector<NamedView> named;
    for (size_t i = 0; i < inputs.size(); ++i) named.push_back({inputs[i].name, in_tensors[i].view()});
    StatusOr<std::vector<NamedTensor>> outs = (*session)->Run(named);
    if (!outs.ok()) return set.filename().string() + ": run: " + outs.status().ToString();
    for (size_t i = 0; i < outs->size(); ++i) {
      fs::path p = set / ("output_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) break;
      onnx::TensorProto proto;
      if (!proto.ParseFromString(ReadFile(p))) return "cannot parse " + p.string();
      StatusOr<Tensor> want = TensorFromProto(proto);
      if (!want.ok()) return "output: " + want.status().ToString();
      std::string why;
      if (!Compare((*outs)[i].tensor, *want, &why)) {
        return set.filename().string() + ": output " + std::to_string(i) + " ('" + (*outs)[i].name + "') " + why;
      }
    }
  }
  return "";
}

struct OpStats {
  std::set<int> opsets;
  int passed = 0, failed = 0, unsupported = 0;
};

std::string OpsetRanges(const KernelRegistry& reg, const std::string& op) {
  std::string r;
  for (const KernelDef& d : reg.defs()) {
    if (d.op_type != op) continue;
    if (!r.empty()) r += ", ";
    r += std::to_string(d.since_version) + "-" + std::to_string(d.until_version);
  }
  return r;
}

TEST(OnnxConformance, ClaimedNodeTestsPass) {
  const char* dir_env = std::getenv("RECO_ONNX_NODE_TESTS_DIR");
  const fs::path root = dir_env ? dir_env : "/usr/share/libonnx-testdata/data/node";
  if (!fs::exists(root)) GTEST_SKIP() << root << " missing (install libonnx-testdata)";
  const char* filter_env = std::getenv("RECO_CONFORMANCE_FILTER");
  const std::vector<std::string> filters = Split(filter_env ? filter_env : "");
  const KernelRegistry& reg = KernelRegistry::Default();

  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  std::map<std::string, OpStats> stats;
  std::map<std::string, int> skipped_ops;  // unclaimed op -> tests skipped because of it
  std::vector<std::string> unsupported_cases;
  int ran = 0, passed = 0, skipped = 0;
  for (const fs::path& dir : dirs) {
    const std::string name = dir.filename().string();
    if (!filters.empty() &&
        std::none_of(filters.begin(), filters.end(), [&](const std::string& f) { return name.find(f) != std::string::npos; })) {
      continue;
    }
    onnx::ModelProto model;
    if (!model.ParseFromString(ReadFile(dir / "model.onnx"))) continue;
    std::set<std::string> ops;
    bool claimed = true;
    for (const auto& n : model.graph().node()) {
      ops.insert(n.op_type());
      if (!reg.Claims(n.domain(), n.op_type())) {
        claimed = false;
        ++skipped_ops[(n.domain().empty() ? "" : n.domain() + ".") + n.op_type()];
      }
    }
    if (!claimed || ops.empty()) {
      ++skipped;
      continue;
    }
    int opset = 0;
    for (const auto& oi : model.opset_import()) {
      if (oi.domain().empty() || oi.domain() == "ai.onnx") opset = static_cast<int>(oi.version());
    }
    ++ran;
    const std::string err = RunCase(dir);
    const bool unsupported = err.find("UNIMPLEMENTED") != std::string::npos;
    for (const std::string& op : ops) {
      OpStats& s = stats[op];
      s.opsets.insert(opset);
      if (err.empty()) ++s.passed;
      else if (unsupported) ++s.unsupported;
      else ++s.failed;
    }
    if (err.empty()) {
      ++passed;
    } else if (unsupported) {
      unsupported_cases.push_back(name + ": " + err);
    } else {
      ADD_FAILURE() << name << ": " << err;
    }
  }
  std::printf("conformance: %d claimed tests run, %d passed, %zu unsupported variants, %d skipped (unclaimed ops)\n",
              ran, passed, unsupported_cases.size(), skipped);
  for (const std::string& u : unsupported_cases) std::printf("  unsupported: %s\n", u.c_str());

  if (std::getenv("RECO_WRITE_OP_COVERAGE") && std::string(std::getenv("RECO_WRITE_OP_COVERAGE")) == "1") {
    std::ofstream md("docs/op_coverage.md");
    md << "# ONNX op coverage of reco's engine\n\n"
       << "Generated by `RECO_WRITE_OP_COVERAGE=1 engine_onnx_conformance_test` from the ONNX backend node tests of "
       << "Debian's libonnx-testdata (" << root.string() << ").\n"
       << "Counts are per test directory whose model contains the op (one directory may test several ops).\n\n"
       << "Totals: " << ran << " tests with only claimed ops, " << passed << " passed, " << unsupported_cases.size()
       << " unsupported variants (dtype/opset the engine rejects at load with UNIMPLEMENTED), " << skipped
       << " skipped (an unclaimed op).\n\n"
       << "| op | registered opsets | test opsets | passed / total | unsupported variants |\n|---|---|---|---|---|\n";
    for (const auto& [op, s] : stats) {
      std::string test_opsets;
      for (int o : s.opsets) test_opsets += (test_opsets.empty() ? "" : ", ") + std::to_string(o);
      md << "| " << op << " | " << OpsetRanges(reg, op) << " | " << test_opsets << " | " << s.passed << " / "
         << (s.passed + s.failed + s.unsupported) << " | " << s.unsupported << " |\n";
    }
    md << "\n## Unsupported variants\n\n";
    for (const std::string& u : unsupported_cases) md << "- " << u << "\n";
    md << "\n## Skipped: unclaimed ops (tests skipped)\n\n";
    for (const auto& [op, n] : skipped_ops) md << op << " (" << n << ") ";
    md << "\n";
  }
}

}  // namespace
}  // namespace reco::engine
