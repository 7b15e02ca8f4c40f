#include "train/threads.h"

#include <dlfcn.h>
#include <torch/torch.h>

namespace reco::train {

void SetTrainingThreads(int threads) {
  if (threads < 1) threads = 1;
  torch::set_num_threads(threads);
  // Looked up at run time so that any BLAS works; only OpenBLAS has its own pool to size.
  using SetFn = void (*)(int);
  if (auto fn = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(threads);
}

}  // namespace reco::train
