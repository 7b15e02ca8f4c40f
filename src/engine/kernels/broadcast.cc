#include "engine/kernels/broadcast.h"

#include <algorithm>

namespace reco::engine {

StatusOr<Shape> BroadcastShape(const Shape& a, const Shape& b) {
  const int r = std::max(a.rank(), b.rank());
  Shape out;
  out.resize(r);
  for (int i = 0; i < r; ++i) {
    const int ia = i - (r - a.rank()), ib = i - (r - b.rank());
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      return InvalidArgumentError("shapes " + a.ToString() + " and " + b.ToString() + " cannot be broadcast");
    }
  }
  return out;
}

void BroadcastStrides(const Shape& in, const Shape& out, int64_t* strides) {
  const int r = out.rank(), off = out.rank() - in.rank();
  int64_t s = 1;
  for (int i = r - 1; i >= 0; --i) {
    const int ii = i - off;
    if (ii < 0 || in[ii] == 1) {
      strides[i] = 0;
    } else {
      strides[i] = s;
    }
    if (ii >= 0) s *= in[ii];
  }
}

}  // namespace reco::engine
