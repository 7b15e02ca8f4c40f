// One knob for CPU threads during training: LibTorch's intra-op pool (OpenMP) and the BLAS behind it.
// Debian's LibTorch calls OpenBLAS's pthread build, which keeps its own pool (nproc threads) that
// torch::set_num_threads does not touch; on small GEMMs those threads mostly spin and yield.
#pragma once

namespace reco::train {

void SetTrainingThreads(int threads);

}  // namespace reco::train
