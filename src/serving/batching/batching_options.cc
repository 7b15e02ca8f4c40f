#include "serving/batching/batching_options.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include "tensorflow_serving/servables/tensorflow/session_bundle_config.pb.h"

namespace reco::serving::batching {
namespace {

class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (text.empty()) text = std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
  }
  std::string text;
};

}  // namespace

Status BatchingOptions::Validate() const {
  if (max_batch_size < 1) return InvalidArgumentError("batching: max_batch_size must be >= 1");
  if (batch_timeout_micros < 0) return InvalidArgumentError("batching: batch_timeout_micros must be >= 0");
  if (max_enqueued_batches < 1) return InvalidArgumentError("batching: max_enqueued_batches must be >= 1");
  if (num_batch_threads < 0) return InvalidArgumentError("batching: num_batch_threads must be >= 1");
  if (!allowed_batch_sizes.empty()) {
    for (size_t i = 0; i < allowed_batch_sizes.size(); ++i) {
      if (allowed_batch_sizes[i] < 1 || (i > 0 && allowed_batch_sizes[i] <= allowed_batch_sizes[i - 1])) {
        return InvalidArgumentError("batching: allowed_batch_sizes must be positive and strictly increasing");
      }
    }
    if (allowed_batch_sizes.back() != max_batch_size) {
      return InvalidArgumentError("batching: the last allowed_batch_sizes entry (" +
                                  std::to_string(allowed_batch_sizes.back()) + ") must equal max_batch_size (" +
                                  std::to_string(max_batch_size) + ")");
    }
  }
  return Status::Ok();
}

int64_t BatchingOptions::PaddedSize(int64_t rows) const {
  auto it = std::lower_bound(allowed_batch_sizes.begin(), allowed_batch_sizes.end(), rows);
  return it == allowed_batch_sizes.end() ? rows : *it;
}

StatusOr<BatchingOptions> ParseBatchingParameters(std::string_view text, std::string_view file_name) {
  tensorflow::serving::BatchingParameters params;
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &params)) {
    return InvalidArgumentError("batching parameters " + std::string(file_name) + ":" + errors.text);
  }
  BatchingOptions options;
  if (params.has_max_batch_size()) options.max_batch_size = params.max_batch_size().value();
  if (params.has_batch_timeout_micros()) options.batch_timeout_micros = params.batch_timeout_micros().value();
  if (params.has_max_enqueued_batches()) options.max_enqueued_batches = params.max_enqueued_batches().value();
  if (params.has_num_batch_threads()) options.num_batch_threads = params.num_batch_threads().value();
  if (params.has_thread_pool_name()) options.thread_pool_name = params.thread_pool_name().value();
  options.allowed_batch_sizes.assign(params.allowed_batch_sizes().begin(), params.allowed_batch_sizes().end());
  if (params.has_num_batch_threads() && options.num_batch_threads < 1) {
    return InvalidArgumentError("batching parameters " + std::string(file_name) + ": num_batch_threads must be >= 1");
  }
  Status valid = options.Validate();
  if (!valid.ok()) return valid.WithContext("batching parameters " + std::string(file_name));
  return options;
}

StatusOr<BatchingOptions> ReadBatchingParametersFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open batching parameters file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseBatchingParameters(text.str(), path);
}

}  // namespace reco::serving::batching
