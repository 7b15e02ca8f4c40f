// reco export --checkpoint FILE --out model.onnx [--opset N] [--image-input] [--model-version V]
//
// Reads a trained model (a reco checkpoint of kind mlp/cnn, or a keras::Sequential file) and writes an ONNX
// model validated by onnx::checker and strict shape inference (see onnx/checkpoint_export.h).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "onnx/checkpoint_export.h"

namespace reco::cli {
namespace {

struct ExportArgs {
  std::string checkpoint;
  std::string out;
  onnx_export::ExportOptions options;
};

RunFn SetupExport(CLI::App& sub) {
  auto args = std::make_shared<ExportArgs>();
  sub.add_option("--checkpoint", args->checkpoint, "trained model: reco checkpoint (mlp, cnn) or keras model file")
      ->required()
      ->check(CLI::ExistingFile);
  sub.add_option("--out", args->out, "ONNX file to write (written to a temporary name, then renamed)")->required();
  sub.add_option("--opset", args->options.opset, "ONNX opset of the default domain (13..17)")
      ->check(CLI::Range(onnx_export::kMinOpset, 17))
      ->capture_default_str();
  sub.add_option("--model-version", args->options.model_version, "ModelProto.model_version to stamp")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub.add_flag("--image-input", args->options.image_input,
               "mlp only: take input [batch,1,28,28] and flatten in the graph (default: flat [batch,784])");
  return [args]() -> Status {
    onnx_export::ExportSummary summary;
    RETURN_IF_ERROR(onnx_export::ExportCheckpointToFile(args->checkpoint, args->out, args->options, &summary));
    std::printf("wrote %s: kind %s, opset %d, %lld nodes, %lld parameters, %lld bytes\n", args->out.c_str(),
                summary.kind.c_str(), args->options.opset, static_cast<long long>(summary.nodes),
                static_cast<long long>(summary.parameters), static_cast<long long>(summary.bytes));
    return Status::Ok();
  };
}

}  // namespace

RECO_REGISTER_COMMAND(export_model, "export", "export a trained model (checkpoint) to a validated ONNX file",
                      SetupExport, 30);

}  // namespace reco::cli
