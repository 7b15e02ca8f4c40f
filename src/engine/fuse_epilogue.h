// Finds the elementwise chain behind a Gemm/MatMul that can become its epilogue (engine/epilogue.h).
//
// The chain starts at the node's output 0 (`x`) and absorbs, in topological order, the following nodes that are
// elementwise (Add, Sub, Mul, Div, PRelu, Sigmoid, Relu, Tanh, Exp, Neg, Abs, LeakyRelu, Clip) and whose other
// inputs ("side inputs") are float values from outside the chain. It keeps the longest prefix whose intermediate
// values (x included) are read by nothing outside the chain, so exactly one value (the last node's output) leaves
// it. The fused node must then run where the last absorbed node was (all side inputs exist by then).
// Thread-safety: pure function of its arguments.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "engine/epilogue.h"
#include "engine/model.h"

namespace reco::engine {

struct EpilogueFusion {
  std::shared_ptr<const EpilogueProgram> program;
  std::vector<int> absorbed;     // indices into Model::nodes, in order
  std::vector<int> side_values;  // value ids, in the program's side-input order
  int result_value = -1;
};

// `uses[v]`: readers of value v (graph outputs count as readers); `producer[v]`: index into m.nodes of the node
// that computes v, or -1 for graph inputs and constants; `removed[j]`: node j already fused away.
std::optional<EpilogueFusion> FindEpilogueChain(const Model& m, size_t node, std::span<const int> uses,
                                                std::span<const int> producer, const std::vector<bool>& removed);

}  // namespace reco::engine
