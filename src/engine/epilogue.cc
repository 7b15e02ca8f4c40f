// Elementwise epilogues: shapes, row maps and the block interpreter (see epilogue.h).
#include "engine/epilogue.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "engine/kernels/fast_math.h"

namespace reco::engine {

std::string_view EpilogueOpName(EpilogueInstr::Op op) {
  using Op = EpilogueInstr::Op;
  switch (op) {
    case Op::kAdd: return "Add";
    case Op::kSub: return "Sub";
    case Op::kMul: return "Mul";
    case Op::kDiv: return "Div";
    case Op::kPRelu: return "PRelu";
    case Op::kSigmoid: return "Sigmoid";
    case Op::kRelu: return "Relu";
    case Op::kTanh: return "Tanh";
    case Op::kExp: return "Exp";
    case Op::kNeg: return "Neg";
    case Op::kAbs: return "Abs";
    case Op::kLeakyRelu: return "LeakyRelu";
    case Op::kClip: return "Clip";
    case Op::kMulAdd: return "MulAdd";
    case Op::kAdd3: return "Add3";
    case Op::kDice: return "Dice";
  }
  return "?";
}

int EpilogueOpArity(EpilogueInstr::Op op) {
  using Op = EpilogueInstr::Op;
  if (op == Op::kDice) return 5;
  if (op == Op::kMulAdd || op == Op::kAdd3) return 3;
  return EpilogueOpIsUnary(op) ? 1 : 2;
}

namespace {

int OperandAt(const EpilogueInstr& in, int k) {
  const int ops[5] = {in.a, in.b, in.c, in.d, in.e};
  return ops[k];
}

// How many instructions (other than those in `skip`, indices) read register `reg`; the result counts as a read.
int Reads(const EpilogueProgram& p, int reg, std::span<const size_t> skip) {
  int n = p.result == reg ? 1 : 0;
  for (size_t i = 0; i < p.instrs.size(); ++i) {
    if (std::find(skip.begin(), skip.end(), i) != skip.end()) continue;
    const EpilogueInstr& in = p.instrs[i];
    for (int k = 0; k < EpilogueOpArity(in.op); ++k) n += OperandAt(in, k) == reg;
  }
  return n;
}

// If `in` is the binary op `op` with `reg` as one operand, the other operand; else nullopt.
std::optional<int> OtherOperand(const EpilogueInstr& in, EpilogueInstr::Op op, int reg) {
  if (in.op != op) return std::nullopt;
  if (in.a == reg && in.b != reg) return in.b;
  if (in.b == reg && in.a != reg) return in.a;
  return std::nullopt;
}

bool MatchDice(const EpilogueProgram& p, size_t k, EpilogueInstr* out) {
  using Op = EpilogueInstr::Op;
  if (k + 6 > p.instrs.size()) return false;
  const EpilogueInstr* s = &p.instrs[k];
  if (s[0].op != Op::kMul) return false;
  // Either operand of the first Mul may be x; the last Mul must multiply the same x by the gate.
  for (int swap = 0; swap < 2; ++swap) {
    const int x = swap ? s[0].b : s[0].a, scale = swap ? s[0].a : s[0].b;
    const auto shift = OtherOperand(s[1], Op::kAdd, s[0].dst);
    if (!shift || s[2].op != Op::kSigmoid || s[2].a != s[1].dst) continue;
    const auto oma = OtherOperand(s[3], Op::kMul, s[2].dst);
    if (!oma) continue;
    const auto alpha = OtherOperand(s[4], Op::kAdd, s[3].dst);
    if (!alpha) continue;
    const auto x_again = OtherOperand(s[5], Op::kMul, s[4].dst);
    if (!x_again || *x_again != x) continue;
    const size_t six[6] = {k, k + 1, k + 2, k + 3, k + 4, k + 5};
    bool private_regs = true;
    for (int i = 0; i < 5; ++i) private_regs = private_regs && Reads(p, s[i].dst, six) == 0;
    if (!private_regs) continue;
    *out = EpilogueInstr{};
    out->op = Op::kDice;
    out->dst = s[5].dst;
    out->a = x;
    out->b = scale;
    out->c = *shift;
    out->d = *oma;
    out->e = *alpha;
    return true;
  }
  return false;
}

bool MatchMulAdd(const EpilogueProgram& p, size_t k, EpilogueInstr* out) {
  using Op = EpilogueInstr::Op;
  if (k + 2 > p.instrs.size() || p.instrs[k].op != Op::kMul) return false;
  const auto c = OtherOperand(p.instrs[k + 1], Op::kAdd, p.instrs[k].dst);
  const size_t two[2] = {k, k + 1};
  if (!c || Reads(p, p.instrs[k].dst, two) != 0) return false;
  *out = EpilogueInstr{};
  out->op = Op::kMulAdd;
  out->dst = p.instrs[k + 1].dst;
  out->a = p.instrs[k].a;
  out->b = p.instrs[k].b;
  out->c = *c;
  return true;
}

// Add(p, q) -> t, then Add(t, r) or Add(r, t): (p + q) + r, as the two ops round it.
bool MatchAdd3(const EpilogueProgram& p, size_t k, EpilogueInstr* out) {
  using Op = EpilogueInstr::Op;
  if (k + 2 > p.instrs.size() || p.instrs[k].op != Op::kAdd) return false;
  const auto r = OtherOperand(p.instrs[k + 1], Op::kAdd, p.instrs[k].dst);
  const size_t two[2] = {k, k + 1};
  if (!r || Reads(p, p.instrs[k].dst, two) != 0) return false;
  *out = EpilogueInstr{};
  out->op = Op::kAdd3;
  out->dst = p.instrs[k + 1].dst;
  out->a = p.instrs[k].a;
  out->b = p.instrs[k].b;
  out->c = *r;
  return true;
}

}  // namespace

void OptimizeEpilogue(EpilogueProgram* program) {
  std::vector<EpilogueInstr> out;
  for (size_t k = 0; k < program->instrs.size();) {
    EpilogueInstr fused;
    if (MatchDice(*program, k, &fused)) {
      out.push_back(fused);
      k += 6;
    } else if (MatchMulAdd(*program, k, &fused) || MatchAdd3(*program, k, &fused)) {
      out.push_back(fused);
      k += 2;
    } else {
      out.push_back(program->instrs[k++]);
    }
  }
  program->instrs = std::move(out);
  program->label.clear();
  for (const EpilogueInstr& in : program->instrs) {
    if (!program->label.empty()) program->label += ",";
    program->label += EpilogueOpName(in.op);
  }
}

bool EpilogueOpIsUnary(EpilogueInstr::Op op) {
  using Op = EpilogueInstr::Op;
  return !(op == Op::kAdd || op == Op::kSub || op == Op::kMul || op == Op::kDiv || op == Op::kPRelu ||
           op == Op::kMulAdd || op == Op::kAdd3 || op == Op::kDice);
}

namespace {

// Row map of an operand of shape `s` read against output shape `out` (s broadcasts to out, checked by caller).
EpilogueRowMap MakeRowMap(const Shape& s, const Shape& out) {
  EpilogueRowMap m;
  const int r = out.rank();
  m.leading_rank = std::max(0, r - 1);
  int64_t stride = 1;
  // Walk the operand's dims right to left, aligned with the output's.
  for (int d = r - 1; d >= 0; --d) {
    const int sd = d - (r - s.rank());
    const int64_t dim = sd >= 0 ? s[sd] : 1;
    const bool broadcast = dim == 1 && out[d] != 1;
    if (d == r - 1) {
      m.channel_stride = broadcast || out[d] == 1 ? 0 : 1;
    } else {
      m.dims[d] = out[d];
      m.strides[d] = broadcast ? 0 : stride;
      if (m.strides[d] != 0 && out[d] != 1) m.rows_broadcast = false;
    }
    stride *= dim;
  }
  return m;
}

}  // namespace

StatusOr<EpiloguePlan> EpilogueShapes(const EpilogueProgram& program, const Shape& x_shape,
                                      std::span<const Shape> side_shapes) {
  if (static_cast<int>(side_shapes.size()) != program.num_side_inputs) {
    return InternalError("epilogue: expected " + std::to_string(program.num_side_inputs) + " side inputs, got " +
                         std::to_string(side_shapes.size()));
  }
  EpiloguePlan plan;
  Shape out = x_shape;
  for (size_t i = 0; i < side_shapes.size(); ++i) {
    const Shape& s = side_shapes[i];
    const int r = std::max(out.rank(), s.rank());
    Shape merged;
    for (int d = 0; d < r; ++d) {
      const int od = d - (r - out.rank()), sd = d - (r - s.rank());
      const int64_t a = od >= 0 ? out[od] : 1, b = sd >= 0 ? s[sd] : 1;
      if (a != b && a != 1 && b != 1) {
        return InvalidArgumentError("fused elementwise operand " + std::to_string(i) + " of shape " + s.ToString() +
                                    " does not broadcast with " + out.ToString());
      }
      merged.push_back(a == 1 ? b : a);
    }
    out = merged;
  }
  if (out.rank() > EpilogueRowMap::kMaxDims) return UnimplementedError("fused elementwise output rank > 8");
  plan.out_shape = out;
  plan.in_place = out == x_shape;
  plan.channels = out.rank() == 0 ? 1 : out[out.rank() - 1];
  plan.rows = plan.channels == 0 ? 0 : out.num_elements() / plan.channels;
  plan.x_map = MakeRowMap(x_shape, out);
  for (const Shape& s : side_shapes) plan.side_maps.push_back(MakeRowMap(s, out));
  return plan;
}

namespace {

// Walks an operand's row offsets for consecutive output rows: divisions only in Reset, then an odometer over the
// output's leading dims (dividing per row and dim cost ~150 cycles per 80-float row with three broadcast operands).
class RowCursor {
 public:
  void Reset(const EpilogueRowMap& m, int64_t row) {
    m_ = &m;
    offset_ = 0;
    for (int d = m.leading_rank - 1; d >= 0; --d) {
      idx_[d] = row % m.dims[d];
      row /= m.dims[d];
      offset_ += idx_[d] * m.strides[d];
    }
  }
  int64_t offset() const { return offset_; }
  void Next() {
    for (int d = m_->leading_rank - 1; d >= 0; --d) {
      offset_ += m_->strides[d];
      if (++idx_[d] < m_->dims[d]) return;
      offset_ -= m_->strides[d] * m_->dims[d];
      idx_[d] = 0;
    }
  }

 private:
  const EpilogueRowMap* m_ = nullptr;
  int64_t idx_[EpilogueRowMap::kMaxDims] = {};
  int64_t offset_ = 0;
};

constexpr int kChunk = 128;  // channels per interpreter step: DIN rows (80, 40, 200) run in one or two steps

// Binary, MulAdd and Add3 may write over an operand they read at the same positions (an output row that is x's
// row in place): ivdep instead of __restrict, so GCC vectorises without a run-time overlap check and its scalar
// fallback (no element depends on another one's result).
inline void Binary(EpilogueInstr::Op op, const float* a, const float* b, float* d, int w) {
  using Op = EpilogueInstr::Op;
  switch (op) {
    case Op::kAdd:
#pragma GCC ivdep
      for (int i = 0; i < w; ++i) d[i] = a[i] + b[i];
      return;
    case Op::kSub:
#pragma GCC ivdep
      for (int i = 0; i < w; ++i) d[i] = a[i] - b[i];
      return;
    case Op::kMul:
#pragma GCC ivdep
      for (int i = 0; i < w; ++i) d[i] = a[i] * b[i];
      return;
    case Op::kDiv:
#pragma GCC ivdep
      for (int i = 0; i < w; ++i) d[i] = a[i] / b[i];
      return;
    case Op::kPRelu:
#pragma GCC ivdep
      for (int i = 0; i < w; ++i) d[i] = a[i] < 0.f ? a[i] * b[i] : a[i];
      return;
    default: return;
  }
}

inline void MulAdd(const float* a, const float* b, const float* c, float* d, int w) {
#pragma GCC ivdep
  for (int i = 0; i < w; ++i) d[i] = a[i] * b[i] + c[i];
}

inline void Add3(const float* a, const float* b, const float* c, float* d, int w) {
#pragma GCC ivdep
  for (int i = 0; i < w; ++i) d[i] = (a[i] + b[i]) + c[i];
}

// Also safe in place (d == a: x's row is the output row), like Binary: every loop is elementwise, ivdep.
inline void Unary(const EpilogueInstr& in, const float* a, float* d, int w) {
  using Op = EpilogueInstr::Op;
  switch (in.op) {
    case Op::kSigmoid: SigmoidArray(a, d, w); return;
    // NaN stays NaN (Relu(NaN) = NaN in ORT and torch).
    case Op::kRelu:
#pragma GCC ivdep
      for (int i = 0; i < w; ++i) d[i] = a[i] > 0.f ? a[i] : (a[i] == a[i] ? 0.f : a[i]);
      return;
    case Op::kTanh: for (int i = 0; i < w; ++i) d[i] = std::tanh(a[i]); return;
    case Op::kExp:
#pragma GCC ivdep
      for (int i = 0; i < w; ++i) d[i] = FastExp(a[i]);
      return;
    case Op::kNeg:
#pragma GCC ivdep
      for (int i = 0; i < w; ++i) d[i] = -a[i];
      return;
    case Op::kAbs:
#pragma GCC ivdep
      for (int i = 0; i < w; ++i) d[i] = std::fabs(a[i]);
      return;
    case Op::kLeakyRelu:
#pragma GCC ivdep
      for (int i = 0; i < w; ++i) d[i] = a[i] >= 0.f ? a[i] : in.alpha * a[i];
      return;
    case Op::kClip:
#pragma GCC ivdep
      for (int i = 0; i < w; ++i) {
        const float v = a[i] < in.lo ? in.lo : a[i];  // then hi: with lo > hi everything becomes hi (ONNX)
        d[i] = v > in.hi ? in.hi : v;
      }
      return;
    default: return;
  }
}

// The program ends in a Dice with per-channel constants (every Gemm/MatMul + bias + Dice layer of a DIN model,
// and its first attention layer after the Add3 of the history and target terms) of x in place or of the
// previous instruction's result: the interpreter runs the rest, writing the output rows, and DiceRows then runs
// the Dice over the whole row block in place, in one call instead of one per row.
bool EndsInRowwiseDice(const EpilogueProgram& program, const EpiloguePlan& plan) {
  if (program.instrs.empty()) return false;
  const EpilogueInstr& in = program.instrs.back();
  if (in.op != EpilogueInstr::Op::kDice || in.dst != program.result) return false;
  const size_t n = program.instrs.size();
  const bool of_x = n == 1 && in.a == 0 && plan.in_place && plan.x_map.channel_stride == 1;
  if (!of_x && !(n >= 2 && in.a > 0 && in.a == program.instrs[n - 2].dst)) return false;
  for (int id : {in.b, in.c, in.d, in.e}) {
    if (id >= 0) return false;
    const EpilogueRowMap& m = plan.side_maps[static_cast<size_t>(-1 - id)];
    if (!m.rows_broadcast || m.channel_stride != 1) return false;
  }
  return true;
}

// [Add or Add3 of x in place and one or two side rows, then a Dice of the sum with per-channel constants] (DIN's
// first attention layer: the product plus the history and the target terms): the side inputs of the sum, in
// summation order, in `addends` (-1: none). DiceRowsAdd then does the whole program in one pass per row.
bool MatchAddsThenDice(const EpilogueProgram& program, const EpiloguePlan& plan, int addends[2]) {
  using Op = EpilogueInstr::Op;
  if (program.instrs.size() != 2 || !plan.in_place || plan.x_map.channel_stride != 1) return false;
  const EpilogueInstr& add = program.instrs[0];
  if (add.op != Op::kAdd && add.op != Op::kAdd3) return false;
  // x + s == s + x exactly, so x may be either operand of the first addition.
  const int first = add.a == 0 ? add.b : add.b == 0 ? add.a : 0;
  if (first >= 0) return false;
  addends[0] = -1 - first;
  addends[1] = -1;
  if (add.op == Op::kAdd3) {
    if (add.c >= 0) return false;
    addends[1] = -1 - add.c;
  }
  for (int k = 0; k < 2; ++k) {
    if (addends[k] >= 0 && plan.side_maps[static_cast<size_t>(addends[k])].channel_stride != 1) return false;
  }
  return EndsInRowwiseDice(program, plan);
}

constexpr size_t kNoDirectWrite = ~size_t{0};

// Which of instructions [0, count) writes the output row directly: the last one, when it makes `result`. Every op
// computes an element from its operands' elements at the same position, so writing over an operand (x's row in
// place is the output row) is fine.
size_t DirectWriteInstr(const EpilogueProgram& program, size_t count, int result) {
  if (count == 0) return kNoDirectWrite;
  const size_t last = count - 1;
  return program.instrs[last].dst == result ? last : kNoDirectWrite;
}

void Interpret(const EpilogueProgram& program, const EpiloguePlan& plan, size_t count, int result, const float* x,
               std::span<const float* const> sides, float* out, int64_t row0, int64_t rows, int64_t n, bool flat);

// Narrow outputs (a CTR model's [rows, 1] logit before its Sigmoid) would cost one interpreter pass per row of one
// or a few elements. When x is the output (in place) and every side input is one value for the whole block, no
// operand depends on the row or the channel, so the row block is one flat array and runs as a single long row.
bool RunsFlat(const EpiloguePlan& plan, int num_sides) {
  if (!plan.in_place || plan.channels >= kChunk) return false;
  for (int s = 0; s < num_sides; ++s) {
    const EpilogueRowMap& m = plan.side_maps[static_cast<size_t>(s)];
    if (!m.rows_broadcast || m.channel_stride != 0) return false;
  }
  return true;
}

}  // namespace

void ApplyEpilogue(const EpilogueProgram& program, const EpiloguePlan& plan, const float* x,
                   std::span<const float* const> sides, float* out, int64_t row0, int64_t rows) {
  const int64_t n = plan.channels;
  auto side = [&](int id) { return sides[static_cast<size_t>(-1 - id)]; };
  if (int addends[2]; MatchAddsThenDice(program, plan, addends)) {
    const EpilogueInstr& d = program.instrs.back();
    constexpr int64_t kRows = 64;  // row pointers per DiceRowsAdd call
    const float* add_rows[2][kRows];
    RowCursor cursor[2];
    for (int k = 0; k < 2; ++k) {
      if (addends[k] >= 0) cursor[k].Reset(plan.side_maps[static_cast<size_t>(addends[k])], row0);
    }
    for (int64_t r0 = row0; r0 < row0 + rows; r0 += kRows) {
      const int64_t m = std::min(kRows, row0 + rows - r0);
      for (int k = 0; k < 2; ++k) {
        if (addends[k] < 0) continue;
        for (int64_t i = 0; i < m; ++i, cursor[k].Next()) add_rows[k][i] = sides[addends[k]] + cursor[k].offset();
      }
      DiceRowsAdd(out + r0 * n, m, n, n, add_rows[0], addends[1] >= 0 ? add_rows[1] : nullptr, side(d.b),
                  side(d.c), side(d.d), side(d.e));
    }
    return;
  }
  const bool dice_rows = EndsInRowwiseDice(program, plan);
  // The instructions the interpreter runs and the register it leaves in the output rows.
  const size_t count = program.instrs.size() - (dice_rows ? 1 : 0);
  const int result = dice_rows ? program.instrs.back().a : program.result;
  if (!dice_rows && RunsFlat(plan, program.num_side_inputs)) {
    Interpret(program, plan, count, result, x, sides, out + row0 * n, 0, 1, rows * n, /*flat=*/true);
    return;
  }
  if (count > 0 || !dice_rows) Interpret(program, plan, count, result, x, sides, out, row0, rows, n, false);
  if (dice_rows) {
    const EpilogueInstr& d = program.instrs.back();
    DiceRows(out + row0 * n, rows, n, n, side(d.b), side(d.c), side(d.d), side(d.e));
  }
}

namespace {

// Runs instructions [0, count) of `program` over rows [row0, row0 + rows) of n channels, leaving register `result`
// in `out`. `flat` (see RunsFlat): one row of n = rows * channels elements of x in place, every side a scalar.
void Interpret(const EpilogueProgram& program, const EpiloguePlan& plan, size_t count, int result, const float* x,
               std::span<const float* const> sides, float* out, int64_t row0, int64_t rows, int64_t n, bool flat) {
  const int num_sides = program.num_side_inputs;
  alignas(64) float regs[EpilogueProgram::kMaxRegisters][kChunk];
  // Operands broadcast along the channel axis hold one value per row: splatted into a chunk-wide buffer.
  alignas(64) float splat[EpilogueProgram::kMaxSideInputs + 1][kChunk];
  const float* side_row[EpilogueProgram::kMaxSideInputs];
  // Operands that are the same for every row (per-channel constants, scalars) are resolved once.
  for (int s = 0; s < num_sides; ++s) {
    const EpilogueRowMap& m = plan.side_maps[s];
    if (!m.rows_broadcast) continue;
    side_row[s] = sides[s];
    if (m.channel_stride == 0 || flat) {
      std::fill_n(splat[s], kChunk, *sides[s]);
      side_row[s] = splat[s];
    }
  }
  const size_t direct_write = DirectWriteInstr(program, count, result);
  RowCursor x_cursor, side_cursor[EpilogueProgram::kMaxSideInputs];
  if (!plan.in_place) x_cursor.Reset(plan.x_map, row0);
  for (int s = 0; s < num_sides; ++s) {
    if (!plan.side_maps[s].rows_broadcast) side_cursor[s].Reset(plan.side_maps[s], row0);
  }
  for (int64_t r = row0; r < row0 + rows; ++r) {
    // In place, x's row r is the output's row r.
    const float* x_row = plan.in_place ? out + r * n : x + x_cursor.offset();
    if (!plan.in_place) x_cursor.Next();
    if (plan.x_map.channel_stride == 0 && !flat) {
      std::fill_n(splat[num_sides], kChunk, *x_row);
      x_row = splat[num_sides];
    }
    for (int s = 0; s < num_sides; ++s) {
      const EpilogueRowMap& m = plan.side_maps[s];
      if (m.rows_broadcast) continue;
      side_row[s] = sides[s] + side_cursor[s].offset();
      side_cursor[s].Next();
      if (m.channel_stride == 0) {
        std::fill_n(splat[s], kChunk, *side_row[s]);
        side_row[s] = splat[s];
      }
    }
    float* out_row = out + r * n;
    for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
      const int w = static_cast<int>(std::min<int64_t>(kChunk, n - c0));
      auto operand = [&](int id) -> const float* {
        if (id == 0) return plan.x_map.channel_stride || flat ? x_row + c0 : x_row;
        if (id > 0) return regs[id];
        const int s = -1 - id;
        return plan.side_maps[s].channel_stride && !flat ? side_row[s] + c0 : side_row[s];
      };
      for (size_t k = 0; k < count; ++k) {
        const EpilogueInstr& in = program.instrs[k];
        // The instruction that makes the result writes the output row itself (no copy pass).
        float* dst = k == direct_write ? out_row + c0 : regs[in.dst];
        if (in.op == EpilogueInstr::Op::kDice) {
          DiceArray(operand(in.a), operand(in.b), operand(in.c), operand(in.d), operand(in.e), dst, w);
        } else if (in.op == EpilogueInstr::Op::kMulAdd) {
          MulAdd(operand(in.a), operand(in.b), operand(in.c), dst, w);
        } else if (in.op == EpilogueInstr::Op::kAdd3) {
          Add3(operand(in.a), operand(in.b), operand(in.c), dst, w);
        } else if (EpilogueOpIsUnary(in.op)) {
          Unary(in, operand(in.a), dst, w);
        } else {
          Binary(in.op, operand(in.a), operand(in.b), dst, w);
        }
      }
      if (direct_write != kNoDirectWrite) continue;
      // A plain loop: GCC turns a variable-length memcpy into `rep movsq`, whose start-up cost dominated here.
      const float* res = operand(result);
      for (int i = 0; i < w; ++i) out_row[c0 + i] = res[i];
    }
  }
}

}  // namespace

}  // namespace reco::engine
