#include "data/samples_pipeline.h"

#include <chrono>
#include <filesystem>

#include "data/samples_file.h"

namespace reco::data {

std::string SamplePipelineReport::Summary() const {
  return "read: " + read.Summary() + "\nsamples: " + build.Summary();
}

Status BuildSampleDirFromCsv(const std::string& csv_path, const BehaviorReaderOptions& read_options,
                             const SampleBuildOptions& build_options, const std::string& out_dir,
                             SamplePipelineReport* report) {
  SamplePipelineReport local;
  SamplePipelineReport& r = report ? *report : local;
  const auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return InvalidArgumentError(out_dir + ": cannot create directory: " + ec.message());
  ASSIGN_OR_RETURN(EventColumns events, LoadBehaviorCsv(csv_path, read_options, &r.read));
  if (events.size() == 0) {
    return InvalidArgumentError(csv_path + ": no usable rows (" + r.read.Summary() + ")");
  }
  auto built = BuildSamples(std::move(events), build_options, &r.build);
  if (!built.ok()) return built.status().WithContext(csv_path);
  RETURN_IF_ERROR(WriteSampleFile(*built, out_dir + "/" + kSampleFileName));
  RETURN_IF_ERROR(WriteVocabularies(*built, out_dir));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return Status::Ok();
}

}  // namespace reco::data
