// The loader fuzz body shared by the libFuzzer target (fuzz_model_loader.cc, clang + RECO_FUZZ=ON) and the
// deterministic mutation test (loader_fuzz_test.cc, any compiler): parse arbitrary bytes as a model and, if that
// succeeds, run it once on zero-filled inputs with every dynamic dim set to 2. Must never crash or hang; every
// failure must be a Status.
#pragma once

#include <string_view>
#include <vector>

#include "engine/session.h"

namespace reco::engine::testing {

inline void LoadAndRunOnce(std::string_view bytes) {
  SessionOptions options;
  StatusOr<std::unique_ptr<Session>> s = Session::LoadFromBytes(bytes, options);
  if (!s.ok()) return;
  std::vector<Tensor> tensors;
  std::vector<NamedView> inputs;
  for (const TensorInfo& info : (*s)->inputs()) {
    Shape shape;
    int64_t elements = 1;
    for (int64_t d : info.shape) {
      const int64_t v = d < 0 ? 2 : d;
      elements *= v;
      shape.push_back(v);
    }
    if (elements > (1 << 20) || info.shape.size() > static_cast<size_t>(Shape::kMaxRank)) return;
    tensors.emplace_back(info.dtype, shape);
  }
  for (size_t i = 0; i < tensors.size(); ++i) inputs.push_back({(*s)->inputs()[i].name, tensors[i].view()});
  (void)(*s)->Run(inputs);
}

}  // namespace reco::engine::testing
