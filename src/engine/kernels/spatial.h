// Window geometry shared by Conv and the pooling kernels: kernel/stride/dilation/pads/auto_pad attributes, read
// once, and the per-plan output size and effective pads for 1-3 spatial dims (1-D and 2-D are run as 3-D with
// leading unit dims, so one loop nest serves all ranks).
// Thread-safety: value types.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/kernel.h"

namespace reco::engine {

struct WindowAttrs {
  enum class AutoPad { kNotSet, kValid, kSameUpper, kSameLower };
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel, strides, dilations, pads;  // as given; empty when absent
  bool ceil_mode = false;

  static WindowAttrs Read(const KernelInfo& info) {
    WindowAttrs w;
    const std::string ap = info.GetString("auto_pad", "NOTSET");
    if (ap == "VALID") w.auto_pad = AutoPad::kValid;
    if (ap == "SAME_UPPER") w.auto_pad = AutoPad::kSameUpper;
    if (ap == "SAME_LOWER") w.auto_pad = AutoPad::kSameLower;
    w.kernel = info.GetInts("kernel_shape");
    w.strides = info.GetInts("strides");
    w.dilations = info.GetInts("dilations");
    w.pads = info.GetInts("pads");
    w.ceil_mode = info.GetInt("ceil_mode", 0) != 0;
    return w;
  }
  // An auto_pad string outside the four ONNX values.
  static bool ValidAutoPad(const KernelInfo& info) {
    const std::string ap = info.GetString("auto_pad", "NOTSET");
    return ap == "NOTSET" || ap == "VALID" || ap == "SAME_UPPER" || ap == "SAME_LOWER";
  }
};

// Resolved geometry for one input shape, as 3-D (d, h, w).
struct Window3 {
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, stride[3] = {1, 1, 1}, dil[3] = {1, 1, 1};
  int64_t pad_begin[3] = {0, 0, 0}, pad_end[3] = {0, 0, 0};
  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t k_size() const { return k[0] * k[1] * k[2]; }
};

// Fills `w` for spatial dims `in_dims` (1-3 of them) and kernel dims `kernel`. Returns an error message ("" on
// success) so callers can wrap it with their node description.
inline std::string ResolveWindow(const WindowAttrs& a, const std::vector<int64_t>& in_dims,
                                 const std::vector<int64_t>& kernel, Window3* w) {
  const int r = static_cast<int>(in_dims.size());
  if (r < 1 || r > 3) return "only 1-3 spatial dims are supported, got " + std::to_string(r);
  if (static_cast<int>(kernel.size()) != r) return "kernel_shape has " + std::to_string(kernel.size()) + " dims, input has " + std::to_string(r) + " spatial dims";
  if (!a.strides.empty() && static_cast<int>(a.strides.size()) != r) return "strides length != spatial rank";
  if (!a.dilations.empty() && static_cast<int>(a.dilations.size()) != r) return "dilations length != spatial rank";
  if (!a.pads.empty() && static_cast<int>(a.pads.size()) != 2 * r) return "pads length != 2 * spatial rank";
  *w = Window3();
  for (int i = 0; i < r; ++i) {
    const int j = 3 - r + i;
    const int64_t in = in_dims[i], k = kernel[i];
    const int64_t s = a.strides.empty() ? 1 : a.strides[i];
    const int64_t d = a.dilations.empty() ? 1 : a.dilations[i];
    if (k <= 0 || s <= 0 || d <= 0) return "kernel, strides and dilations must be positive";
    int64_t pb = a.pads.empty() ? 0 : a.pads[i], pe = a.pads.empty() ? 0 : a.pads[i + r];
    if (pb < 0 || pe < 0) return "negative pads";
    const int64_t ke = (k - 1) * d + 1;
    int64_t out = 0;
    switch (a.auto_pad) {
      case WindowAttrs::AutoPad::kNotSet: {
        const int64_t span = in + pb + pe - ke;
        if (span < 0) return "window larger than the padded input";
        out = (a.ceil_mode ? (span + s - 1) / s : span / s) + 1;
        // A window that would start in the end padding only is dropped (PyTorch/ORT ceil_mode rule).
        if (a.ceil_mode && (out - 1) * s >= in + pb) --out;
        break;
      }
      case WindowAttrs::AutoPad::kValid:
        pb = pe = 0;
        if (in < ke) return "window larger than the input";
        out = (in - ke) / s + 1;
        break;
      case WindowAttrs::AutoPad::kSameUpper:
      case WindowAttrs::AutoPad::kSameLower: {
        out = (in + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (out - 1) * s + ke - in);
        pb = a.auto_pad == WindowAttrs::AutoPad::kSameUpper ? total / 2 : total - total / 2;
        pe = total - pb;
        break;
      }
    }
    w->in[j] = in;
    w->out[j] = out;
    w->k[j] = k;
    w->stride[j] = s;
    w->dil[j] = d;
    w->pad_begin[j] = pb;
    w->pad_end[j] = pe;
  }
  return "";
}

}  // namespace reco::engine
