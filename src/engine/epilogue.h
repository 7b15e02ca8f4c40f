// Elementwise epilogues: a chain of elementwise ops that the model builder fuses behind a Gemm/MatMul so the
// product is touched once, while a block of its rows is still in cache, instead of once per op.
//
// Why: in DIN-style rankers the GEMMs are followed by six-op Dice chains (Mul, Add, Sigmoid, Mul, Add, Mul with
// per-channel constants) and by Adds of other terms; run as separate kernels each op streams the whole
// [rows, 80] activation through memory, and together they cost as much as the GEMMs themselves.
//
// Contract:
//  - An EpilogueProgram is built at load time (model.cc, Fuse) from the ONNX nodes it replaces. Register 0 is the
//    GEMM's output `x`; every instruction writes a fresh register; `result` is the chain's output. Operands that
//    come from outside the chain ("side inputs": constants, graph inputs, values computed before the GEMM) are
//    appended to the fused node's inputs, in order, and referenced as kSide operands.
//  - Plan time: EpilogueShapes() computes the output shape (ONNX multidirectional broadcast of x and the side
//    inputs) and the row mapping of every operand; the output is usually x's shape, in which case the GEMM writes
//    straight into the output and the program runs in place.
//  - Run time: ApplyEpilogue() runs the program over output rows [row0, row0 + rows) (a row = the last dimension),
//    reading x from `x` (which may be the output itself). No heap allocation; reentrant.
// Thread-safety: programs and row maps are immutable after construction.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/tensor.h"

namespace reco::engine {

struct EpilogueInstr {
  enum class Op {
    kAdd, kSub, kMul, kDiv, kPRelu, kSigmoid, kRelu, kTanh, kExp, kNeg, kAbs, kLeakyRelu, kClip,
    // Made by OptimizeEpilogue from the basic ops above (one pass over the chunk instead of several):
    kMulAdd,  // a * b + c
    kAdd3,    // (a + b) + c: two Adds in a row (DIN's first attention layer adds a history and a target term)
    kDice,    // a * (e + d * sigmoid(a * b + c)): the exported Dice, x * (alpha + (1 - alpha) * p)
  };
  Op op = Op::kAdd;
  int dst = 0;
  // Operands: >= 0 a register, < 0 side input number (-1 - operand). Unary ops read `a` only, binary ops `a`
  // and `b`, kMulAdd and kAdd3 also `c`, kDice all five.
  int a = 0;
  int b = 0;
  int c = 0;
  int d = 0;
  int e = 0;
  float alpha = 0.f;  // LeakyRelu slope
  float lo = 0.f;     // Clip bounds
  float hi = 0.f;
};

struct EpilogueProgram {
  static constexpr int kMaxRegisters = 16;
  static constexpr int kMaxSideInputs = 8;

  std::vector<EpilogueInstr> instrs;
  int num_registers = 1;  // register 0 is x
  int num_side_inputs = 0;
  int result = 0;
  std::string label;  // "Mul,Add,Sigmoid,..." (profiles, plan dumps)
};

std::string_view EpilogueOpName(EpilogueInstr::Op op);
bool EpilogueOpIsUnary(EpilogueInstr::Op op);
// Number of operands an op reads (1, 2, 3 or 5).
int EpilogueOpArity(EpilogueInstr::Op op);

// Rewrites known sequences into single instructions (Dice's six ops into kDice, Mul then Add into kMulAdd, Add
// then Add into kAdd3) when their intermediate registers are read by nothing else, and rebuilds `label`. Same
// results up to float rounding of a fused multiply-add (kAdd3 keeps the two additions' order and rounding).
void OptimizeEpilogue(EpilogueProgram* program);

// How one operand of the epilogue maps onto the output's rows: element (row r, channel c) lives at
// data[sum_d idx_d(r) * strides[d] + c * channel_stride], idx(r) being r's multi-index over `dims`.
struct EpilogueRowMap {
  static constexpr int kMaxDims = 8;
  int leading_rank = 0;              // output rank - 1
  int64_t dims[kMaxDims] = {};       // the output's leading dims
  int64_t strides[kMaxDims] = {};    // the operand's element stride per leading dim (0 = broadcast)
  int64_t channel_stride = 0;        // 1, or 0 when the operand is broadcast along the last dim
  bool rows_broadcast = true;        // every stride is 0: the same row for every output row
};

// Plan-time shapes and row maps of one fused node.
struct EpiloguePlan {
  Shape out_shape;
  int64_t rows = 0;       // product of the output's leading dims
  int64_t channels = 0;   // the output's last dim
  bool in_place = true;   // out_shape == x's shape: the GEMM writes into the output, the program runs in place
  EpilogueRowMap x_map;
  std::vector<EpilogueRowMap> side_maps;
};

// Output shape and row maps for x and the side inputs; an error names the operand that does not broadcast.
StatusOr<EpiloguePlan> EpilogueShapes(const EpilogueProgram& program, const Shape& x_shape,
                                      std::span<const Shape> side_shapes);

// Runs `program` over output rows [row0, row0 + rows). `x` is the GEMM output laid out with x_map (equal to `out`
// when plan.in_place), `sides` the side inputs' data in program order.
void ApplyEpilogue(const EpilogueProgram& program, const EpiloguePlan& plan, const float* x,
                   std::span<const float* const> sides, float* out, int64_t row0, int64_t rows);

}  // namespace reco::engine
