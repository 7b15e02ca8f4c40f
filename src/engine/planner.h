// The planner: a pure function from (Model, input shapes) to an immutable, printable Plan.
//
// Contract: BuildPlan() runs every kernel's InferOutputs in topological order with the given input shapes.
// Values known at plan time (constants, and everything computed only from Shape/Size of the inputs and from
// constants, i.e. the int64 shape subgraphs torch.onnx.export emits in front of Reshape/Expand/Slice/...) are
// evaluated right there and become plan constants; the remaining nodes become steps. Every step output (and
// every step's scratch) gets an offset in ONE arena, reusing memory of values after their last reader
// (AssignOffsets: lifetimes, best-fit). Nodes registered with KernelDef::kAliasesInput0 (Reshape & co.) become
// views: their output is a kAlias value pointing at the root buffer of input 0 (an input or an arena value),
// the root's lifetime is extended to the alias's last reader, and no step runs. A Plan is built once per
// input-shape signature and then shared.
// Thread-safety: BuildPlan is reentrant; a Plan is immutable and shared by concurrent Runs.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/tensor.h"

namespace reco::engine {

class Model;
class OpKernel;

// One buffer to place: alive from the start of step `first` to the end of step `last` (inclusive).
struct BufferRequest {
  size_t bytes = 0;
  int first = 0;
  int last = 0;
};
// Offsets (64-byte aligned) such that buffers with overlapping lifetimes never overlap in memory.
struct MemoryPlan {
  std::vector<size_t> offsets;
  size_t arena_bytes = 0;
};
MemoryPlan AssignOffsets(std::span<const BufferRequest> requests);

struct PlanValue {
  enum class Kind { kUnused, kInput, kConstant, kArena, kAlias };
  Kind kind = Kind::kUnused;
  DType dtype = DType::kUndefined;
  Shape shape;
  int input_index = -1;           // kInput
  const void* const_data = nullptr;  // kConstant
  size_t offset = 0;              // kArena
  int first_step = -1;            // kArena: producing step
  int last_step = -1;             // kArena: last reading step (num_steps for graph outputs)
  int alias_of = -1;              // kAlias: the kInput or kArena value whose bytes this value views
};

struct PlanStep {
  int node = -1;                  // index into Model::nodes
  const OpKernel* kernel = nullptr;
  std::vector<int> inputs;        // value ids, -1 omitted
  std::vector<int> outputs;       // value ids, -1 omitted
  size_t scratch_offset = 0;
  size_t scratch_bytes = 0;
  std::shared_ptr<const void> state;
  std::vector<int> frees;         // arena values whose last reader is this step (printed; for tests)
};

class Plan {
 public:
  std::vector<Shape> input_shapes;  // the signature: input shapes ...
  std::vector<std::pair<int, const Tensor*>> keyed_values;  // ... and values of value-keyed inputs (in plan_constants)
  std::vector<PlanValue> values;    // parallel to Model::values
  std::vector<PlanStep> steps;
  size_t arena_bytes = 0;
  size_t max_step_inputs = 0;
  size_t max_step_outputs = 0;
  int plan_time_nodes = 0;          // nodes evaluated while planning (shape subgraphs)
  int aliased_nodes = 0;            // view nodes that became kAlias values instead of steps
  std::vector<int> alias_values;    // kAlias value ids, in creation order
  std::deque<Tensor> plan_constants;

  // Human-readable dump: one line per step with shapes, offsets and the values freed after it.
  std::string ToString(const Model& model) const;
  size_t offset_of(int value) const { return values[value].offset; }
};

// `inputs` in model input order: shapes always; data only needed for Model::value_keyed_inputs.
StatusOr<std::unique_ptr<Plan>> BuildPlan(const Model& model, std::span<const TensorView* const> inputs);

}  // namespace reco::engine
