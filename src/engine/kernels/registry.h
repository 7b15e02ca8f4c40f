// The explicit kernel registration table: (domain, op_type, opset range) -> factory.
//
// Contract: every op the engine runs is listed by exactly one RegisterXxxKernels(KernelRegistry*) function, one
// per family, one family per file in src/engine/kernels/, and every family is called from
// KernelRegistry::Default() in registry.cc (the one greppable place). A model node resolves to the entry whose
// domain and op_type match and whose [since, until] range contains the opset the model imports for that domain.
// The default domain may be spelled "" or "ai.onnx". Ranges of one op must not overlap (Register CHECKs).
// Thread-safety: Default() is built once (thread-safe static) and immutable afterwards.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/kernel.h"

namespace reco::engine {

using KernelFactory = std::function<StatusOr<std::unique_ptr<OpKernel>>(const KernelInfo&)>;

struct KernelDef {
  // Flags for the planner's fusions.
  static constexpr uint32_t kFusableActivation = 1u << 0;  // accepts KernelInfo::fused_activation()
  static constexpr uint32_t kFusableBias = 1u << 1;        // accepts a trailing bias input (MatMul + Add)
  // Output 0 holds input 0's bytes unchanged (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout): when the
  // node has no other output and output 0 is not a graph output, the planner makes output 0 a view of input 0's
  // buffer (extending that buffer's lifetime to the view's last reader) and drops the step.
  static constexpr uint32_t kAliasesInput0 = 1u << 2;
  // Accepts KernelInfo::fused_epilogue(): an elementwise chain applied to output 0 (Gemm, MatMul).
  static constexpr uint32_t kFusableEpilogue = 1u << 3;
  // Input i's VALUE is needed at plan time (a target shape, axes, repeats, slice bounds...). If it comes from a
  // graph input, that input's value becomes part of the plan key (the ONNX backend tests feed shapes as inputs).
  static constexpr uint32_t PlanTimeInput(int i) { return 1u << (8 + i); }

  std::string domain;  // "" for the default ONNX domain
  std::string op_type;
  int since_version = 1;
  int until_version = 1 << 30;  // inclusive
  KernelFactory factory;
  uint32_t flags = 0;
};

// Builds kernel K from its KernelInfo and surfaces K's constructor errors.
template <typename K>
StatusOr<std::unique_ptr<OpKernel>> MakeKernel(const KernelInfo& info) {
  auto kernel = std::make_unique<K>(info);
  if (!kernel->init_status().ok()) return kernel->init_status();
  return std::unique_ptr<OpKernel>(std::move(kernel));
}

class KernelRegistry {
 public:
  KernelRegistry() = default;
  KernelRegistry(const KernelRegistry&) = delete;
  KernelRegistry& operator=(const KernelRegistry&) = delete;

  // The registry with every family of the engine.
  static const KernelRegistry& Default();

  void Register(KernelDef def);
  // Shorthand for the common case.
  template <typename K>
  void Add(std::string_view op_type, int since, int until, uint32_t flags = 0, std::string_view domain = "") {
    Register(KernelDef{std::string(domain), std::string(op_type), since, until, &MakeKernel<K>, flags});
  }

  // The entry for (domain, op_type) at `opset`, or nullptr.
  const KernelDef* Find(std::string_view domain, std::string_view op_type, int opset) const;
  // True if any opset of (domain, op_type) is registered.
  bool Claims(std::string_view domain, std::string_view op_type) const;
  const std::vector<KernelDef>& defs() const { return defs_; }

 private:
  std::vector<KernelDef> defs_;
};

// Normalises "ai.onnx" to "".
std::string_view CanonicalDomain(std::string_view domain);

// Family registration functions (one per file in src/engine/kernels/).
void RegisterElementwiseBinaryKernels(KernelRegistry* registry);  // Add Sub Mul Div Pow PRelu (+ compare/logic)
void RegisterElementwiseUnaryKernels(KernelRegistry* registry);   // Sqrt Exp Log Neg Abs Relu ... Erf Clip
void RegisterCompareLogicKernels(KernelRegistry* registry);       // Equal Greater Less Not And Where
void RegisterShapeKernels(KernelRegistry* registry);              // Shape Size Reshape Flatten Squeeze Unsqueeze ...
void RegisterGatherKernels(KernelRegistry* registry);             // Gather
void RegisterConcatSplitKernels(KernelRegistry* registry);        // Concat Split
void RegisterTransposeKernels(KernelRegistry* registry);          // Transpose
void RegisterCastKernels(KernelRegistry* registry);               // Cast
void RegisterGeneratorKernels(KernelRegistry* registry);          // Constant ConstantOfShape Range
void RegisterMovementKernels(KernelRegistry* registry);           // Expand Tile Slice Identity Dropout
// Owned by the `kernels` helper (files gemm.cc, conv.cc, pool.cc, norm.cc, reduce.cc, softmax.cc):
void RegisterGemmKernels(KernelRegistry* registry);     // Gemm MatMul
void RegisterConvKernels(KernelRegistry* registry);     // Conv
void RegisterPoolKernels(KernelRegistry* registry);     // MaxPool AveragePool GlobalAveragePool
void RegisterNormKernels(KernelRegistry* registry);     // BatchNormalization LayerNormalization
void RegisterReduceKernels(KernelRegistry* registry);   // ReduceSum ReduceMean ReduceMax ArgMax
void RegisterSoftmaxKernels(KernelRegistry* registry);  // Softmax LogSoftmax

}  // namespace reco::engine
