// MNIST-format image classification data (MNIST, Fashion-MNIST) as whole-dataset tensors.
//
// Images become one float tensor [N, 1, 28, 28] scaled to [0, 1] and labels one int64 tensor [N]; keeping the
// dataset in two contiguous tensors is what makes batching cheap (see ShuffledBatches). Counts, image
// sizes and label ranges are cross-checked so a mismatched pair of files is an error, not silent garbage.
// Thread-safety: free functions; ShuffledBatches is single-threaded.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace reco::data {

enum class MnistSplit { kTrain, kTest };

struct ImageDataset {
  at::Tensor images;  // [N, 1, H, W] float32 in [0, 1]
  at::Tensor labels;  // [N] int64 in [0, num_classes)
  std::vector<std::string> class_names;
  int64_t size() const;
};

// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Fashion-MNIST's class names when `dir` looks like Fashion-MNIST (its name contains "fashion"), else "0".."9".
std::vector<std::string> ClassNamesFor(const std::string& dir);

// Finds `<prefix>-images-idx3-ubyte[.gz]` (also the `images.idx3-ubyte` spelling) and the labels beside it.
StatusOr<std::string> FindIdxFile(const std::string& dir, MnistSplit split, bool labels);

// Loads one split from a folder; `limit` > 0 keeps only the first `limit` samples (tests, quick runs).
StatusOr<ImageDataset> LoadMnist(const std::string& dir, MnistSplit split, int64_t limit = 0);

// Builds an ImageDataset from already-read IDX arrays (exposed for tests); names files in errors.
StatusOr<ImageDataset> MakeImageDataset(const struct IdxArray& images, const struct IdxArray& labels,
                                        const std::string& images_name, const std::string& labels_name,
                                        int64_t limit = 0);

// Mini-batches over whole-dataset tensors: each epoch permutes the dataset once with one index_select and
// then hands out zero-copy slices. Measured ~1.7x faster per epoch than torch::data's per-sample loader.
class ShuffledBatches {
 public:
  ShuffledBatches(at::Tensor x, at::Tensor y, int64_t batch_size, uint64_t seed, bool shuffle = true);

  void StartEpoch();
  int64_t num_batches() const { return (n_ + batch_size_ - 1) / batch_size_; }
  int64_t batch_size() const { return batch_size_; }
  // Batch i of the current epoch (the last one may be smaller).
  std::pair<at::Tensor, at::Tensor> Batch(int64_t i) const;

 private:
  at::Tensor x_, y_, xs_, ys_;
  int64_t n_, batch_size_;
  uint64_t seed_;
  int64_t epoch_ = 0;
  bool shuffle_;
};

}  // namespace reco::data
