// libFuzzer entry for the model loader. Build: cmake -DRECO_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ ...; run:
//   build-fuzz/tests/engine_model_loader_fuzzer -max_total_time=60 /usr/share/libonnx-testdata/data/node/*/
// (the backend-test folders hold model.onnx files: a good seed corpus).
#include <cstddef>
#include <cstdint>

#include "engine/fuzz_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  reco::engine::testing::LoadAndRunOnce(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
