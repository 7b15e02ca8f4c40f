#include "data/mnist.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "data/idx.h"

namespace reco::data {
namespace fs = std::filesystem;

int64_t ImageDataset::size() const { return labels.defined() ? labels.size(0) : 0; }

std::vector<std::string> ClassNamesFor(const std::string& dir) {
  std::string lower = dir;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.find("fashion") != std::string::npos) {
    return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  }
  std::vector<std::string> digits;
  for (int i = 0; i < 10; ++i) digits.push_back(std::to_string(i));
  return digits;
}

StatusOr<std::string> FindIdxFile(const std::string& dir, MnistSplit split, bool labels) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return NotFoundError("data folder " + dir + " does not exist");
  if (!fs::is_directory(dir, ec)) return InvalidArgumentError("data folder " + dir + " is not a directory");
  const std::string prefix = split == MnistSplit::kTrain ? "train" : "t10k";
  const std::string kind = labels ? "labels-idx1-ubyte" : "images-idx3-ubyte";
  const std::string dotted = labels ? "labels.idx1-ubyte" : "images.idx3-ubyte";
  for (const std::string& name : {prefix + "-" + kind, prefix + "-" + kind + ".gz", prefix + "-" + dotted,
                                  prefix + "-" + dotted + ".gz"}) {
    const fs::path p = fs::path(dir) / name;
    if (fs::exists(p, ec)) return p.string();
  }
  return NotFoundError("no " + prefix + "-" + kind + "[.gz] in " + dir);
}

StatusOr<ImageDataset> MakeImageDataset(const IdxArray& images, const IdxArray& labels, const std::string& images_name,
                                        const std::string& labels_name, int64_t limit) {
  if (images.dims.size() != 3) return InvalidArgumentError(images_name + ": images must have rank 3 [N, H, W]");
  if (labels.dims.size() != 1) return InvalidArgumentError(labels_name + ": labels must have rank 1 [N]");
  // The classifiers (MLP over 784 pixels, CNN) are built for MNIST's 28x28; anything else failed deep inside
  // LibTorch with a message that named no file.
  if (images.dims[1] != 28 || images.dims[2] != 28) {
    return InvalidArgumentError(images_name + ": images are " + std::to_string(images.dims[1]) + "x" +
                                std::to_string(images.dims[2]) + ", expected 28x28 (MNIST / Fashion-MNIST)");
  }
  const int64_t n_images = images.dims[0], n_labels = labels.dims[0];
  if (n_images != n_labels) {
    return InvalidArgumentError("image/label count mismatch: " + images_name + " has " + std::to_string(n_images) +
                                " images but " + labels_name + " has " + std::to_string(n_labels) + " labels");
  }
  for (size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] > 9) {
      return InvalidArgumentError(labels_name + ": label " + std::to_string(labels.data[i]) + " at index " +
                                  std::to_string(i) + " is outside 0..9");
    }
  }
  int64_t n = n_images;
  if (limit > 0) n = std::min(n, limit);
  const int64_t h = images.dims[1], w = images.dims[2];
  ImageDataset out;
  // from_blob + clone keeps one copy of the payload; division to [0,1] happens in one vectorised op.
  auto raw = torch::from_blob(const_cast<uint8_t*>(images.data.data()), {n, 1, h, w}, torch::kUInt8);
  out.images = raw.to(torch::kFloat32).div_(255.0f);
  out.labels = torch::from_blob(const_cast<uint8_t*>(labels.data.data()), {n}, torch::kUInt8).to(torch::kInt64);
  return out;
}

StatusOr<ImageDataset> LoadMnist(const std::string& dir, MnistSplit split, int64_t limit) {
  ASSIGN_OR_RETURN(std::string images_path, FindIdxFile(dir, split, /*labels=*/false));
  ASSIGN_OR_RETURN(std::string labels_path, FindIdxFile(dir, split, /*labels=*/true));
  ASSIGN_OR_RETURN(IdxArray images, ReadIdxFile(images_path, /*expected_rank=*/3));
  ASSIGN_OR_RETURN(IdxArray labels, ReadIdxFile(labels_path, /*expected_rank=*/1));
  try {
    ASSIGN_OR_RETURN(ImageDataset out, MakeImageDataset(images, labels, images_path, labels_path, limit));
    out.class_names = ClassNamesFor(dir);
    return out;
  } catch (const c10::Error& e) {
    return InternalError(std::string("building tensors: ") + e.what_without_backtrace());
  }
}

ShuffledBatches::ShuffledBatches(at::Tensor x, at::Tensor y, int64_t batch_size, uint64_t seed, bool shuffle)
    : x_(std::move(x)), y_(std::move(y)), n_(y_.size(0)), batch_size_(std::max<int64_t>(1, batch_size)),
      seed_(seed), shuffle_(shuffle) {
  xs_ = x_;
  ys_ = y_;
}

void ShuffledBatches::StartEpoch() {
  if (!shuffle_) return;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed_ + static_cast<uint64_t>(epoch_++));
  const auto perm = torch::randperm(n_, gen, torch::kInt64);
  // Permute into buffers kept across epochs: a fresh 188 MB tensor per epoch would be mmapped and
  // page-faulted in anew every time.
  if (xs_.is_same(x_)) {
    xs_ = torch::empty_like(x_);
    ys_ = torch::empty_like(y_);
  }
  torch::index_select_out(xs_, x_, 0, perm);
  torch::index_select_out(ys_, y_, 0, perm);
}

std::pair<at::Tensor, at::Tensor> ShuffledBatches::Batch(int64_t i) const {
  const int64_t start = i * batch_size_;
  const int64_t len = std::min(batch_size_, n_ - start);
  return {xs_.narrow(0, start, len), ys_.narrow(0, start, len)};
}

}  // namespace reco::data
