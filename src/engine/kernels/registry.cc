// The explicit kernel table. Families are listed here, in one place, so "which ops does the engine run" is a grep.
#include "engine/kernels/registry.h"

#include <cstdio>
#include <cstdlib>

namespace reco::engine {

std::string_view CanonicalDomain(std::string_view domain) { return domain == "ai.onnx" ? std::string_view() : domain; }

void KernelRegistry::Register(KernelDef def) {
  def.domain = std::string(CanonicalDomain(def.domain));
  for (const KernelDef& d : defs_) {
    if (d.domain == def.domain && d.op_type == def.op_type && d.since_version <= def.until_version &&
        def.since_version <= d.until_version) {
      std::fprintf(stderr, "KernelRegistry: overlapping opset ranges for %s\n", def.op_type.c_str());
      std::abort();  // programmer error: the table is static
    }
  }
  defs_.push_back(std::move(def));
}

const KernelDef* KernelRegistry::Find(std::string_view domain, std::string_view op_type, int opset) const {
  domain = CanonicalDomain(domain);
  for (const KernelDef& d : defs_) {
    if (d.domain == domain && d.op_type == op_type && d.since_version <= opset && opset <= d.until_version) return &d;
  }
  return nullptr;
}

bool KernelRegistry::Claims(std::string_view domain, std::string_view op_type) const {
  domain = CanonicalDomain(domain);
  for (const KernelDef& d : defs_) {
    if (d.domain == domain && d.op_type == op_type) return true;
  }
  return false;
}

const KernelRegistry& KernelRegistry::Default() {
  static const KernelRegistry* registry = [] {
    auto* r = new KernelRegistry();
    // Families owned by the engine core.
    RegisterElementwiseBinaryKernels(r);
    RegisterElementwiseUnaryKernels(r);
    RegisterCompareLogicKernels(r);
    RegisterShapeKernels(r);
    RegisterGatherKernels(r);
    RegisterConcatSplitKernels(r);
    RegisterTransposeKernels(r);
    RegisterCastKernels(r);
    RegisterGeneratorKernels(r);
    RegisterMovementKernels(r);
    // --- BLAS-heavy families (owned by the `kernels` helper): add one call line each below. ---
    RegisterGemmKernels(r);
    RegisterConvKernels(r);
    RegisterPoolKernels(r);
    RegisterNormKernels(r);
    RegisterReduceKernels(r);
    RegisterSoftmaxKernels(r);
    // --- end of BLAS-heavy families ---
    return r;
  }();
  return *registry;
}

}  // namespace reco::engine
