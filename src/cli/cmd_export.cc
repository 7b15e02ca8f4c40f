// reco export --checkpoint FILE --out OUT [options]
//
// Two kinds of input, told apart by the file's format tag:
//   - a classifier (reco checkpoint mlp/cnn, or a keras::Sequential file): OUT is the .onnx file to write
//     (onnx/checkpoint_export.h);
//   - a ranker (nn::SaveRanker file, e.g. train-ranker's best.pt): OUT is a model folder MODEL_DIR and the export
//     writes MODEL_DIR/<version>/{model.onnx, manifest.json, vocabularies} (onnx/model_folder.h,
//     docs/ranker_model.md). --vocab-dir names the sample directory holding the vocabularies (default: beside
//     the checkpoint); --version picks the version (default 1 + the largest existing); --metrics-json embeds the
//     training run's metrics in the manifest.
// Every output is validated by onnx::checker and strict shape inference before it is written.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "nn/ranker.h"
#include "onnx/checkpoint_export.h"
#include "onnx/model_folder.h"

namespace reco::cli {
namespace {

struct ExportArgs {
  std::string checkpoint;
  std::string out;
  onnx_export::ExportOptions options;
  // Rankers only.
  std::string vocab_dir;
  std::string metrics_json;
  int64_t version = 0;
  bool no_attention = false;
};

Status ExportRankerFolder(const ExportArgs& args) {
  onnx_export::RankerExportOptions options;
  options.opset = args.options.opset;
  options.attention_output = !args.no_attention;
  ASSIGN_OR_RETURN(onnx_export::ModelFolderResult result,
                   onnx_export::ExportRankerCheckpoint(args.checkpoint, args.vocab_dir, args.metrics_json, args.out,
                                                       args.version, options));
  std::printf("wrote %s: version %lld, opset %d, %lld nodes, model.onnx %lld bytes, manifest.json, vocabularies\n",
              result.version_dir.c_str(), static_cast<long long>(result.version), options.opset,
              static_cast<long long>(result.nodes), static_cast<long long>(result.model_bytes));
  return Status::Ok();
}

RunFn SetupExport(CLI::App& sub) {
  auto args = std::make_shared<ExportArgs>();
  sub.add_option("--checkpoint", args->checkpoint,
                 "trained model: ranker checkpoint (din, base, seed-mlp), reco checkpoint (mlp, cnn) or keras model")
      ->required()
      ->check(CLI::ExistingFile);
  sub.add_option("--out", args->out,
                 "classifier: ONNX file to write; ranker: model folder MODEL_DIR (writes MODEL_DIR/<version>/)")
      ->required();
  sub.add_option("--opset", args->options.opset, "ONNX opset of the default domain (13..17)")
      ->check(CLI::Range(onnx_export::kMinOpset, 17))
      ->capture_default_str();
  sub.add_option("--model-version", args->options.model_version, "classifier: ModelProto.model_version to stamp")
      ->check(kNonNegative)
      ->capture_default_str();
  sub.add_flag("--image-input", args->options.image_input,
               "mlp only: take input [batch,1,28,28] and flatten in the graph (default: flat [batch,784])");
  sub.add_option("--vocab-dir", args->vocab_dir,
                 "ranker: directory with user/item/cate_vocab.txt (the sample dir; default: beside the checkpoint)");
  // At most 18 digits: the version scan (and TF Serving's) reads folder names as int64, and longer names were
  // skipped, so the next default export would have gone back to version 1.
  sub.add_option("--version", args->version, "ranker: version directory to write (default: 1 + largest existing)")
      ->check(CLI::Range(int64_t{1}, int64_t{999'999'999'999'999'999}));
  sub.add_option("--metrics-json", args->metrics_json, "ranker: metrics JSON of the training run to embed")
      ->check(CLI::ExistingFile);
  sub.add_flag("--no-attention", args->no_attention, "ranker (din): omit the `attention` output");
  return [args]() -> Status {
    if (nn::IsRankerCheckpoint(args->checkpoint)) return ExportRankerFolder(*args);
    if (!args->vocab_dir.empty() || !args->metrics_json.empty() || args->version != 0) {
      return InvalidArgumentError(args->checkpoint +
                                  ": --vocab-dir/--version/--metrics-json are for ranker checkpoints, and this is not"
                                  " one");
    }
    onnx_export::ExportSummary summary;
    RETURN_IF_ERROR(onnx_export::ExportCheckpointToFile(args->checkpoint, args->out, args->options, &summary));
    std::printf("wrote %s: kind %s, opset %d, %lld nodes, %lld parameters, %lld bytes\n", args->out.c_str(),
                summary.kind.c_str(), args->options.opset, static_cast<long long>(summary.nodes),
                static_cast<long long>(summary.parameters), static_cast<long long>(summary.bytes));
    return Status::Ok();
  };
}

}  // namespace

RECO_REGISTER_COMMAND(export_model, "export", "export a trained model to a validated ONNX file or ranker model folder",
                      SetupExport, 30);

}  // namespace reco::cli
