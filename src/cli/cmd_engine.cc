// reco inspect | run | bench-model: reco's ONNX engine from the command line.
#include <onnx/onnx_pb.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/command.h"
#include "cli/model_inputs.h"
#include "engine/session.h"
#include "serving/onnx_servable.h"
#include "serving/rest/tf_rest_api.h"

namespace reco::cli {
namespace {

std::string ShapeString(const engine::TensorInfo& info) {
  if (!info.has_shape) return "(any shape)";
  std::string s = "[";
  for (size_t d = 0; d < info.shape.size(); ++d) {
    if (d) s += ", ";
    if (info.shape[d] >= 0) {
      s += std::to_string(info.shape[d]);
    } else {
      s += d < info.dim_params.size() && !info.dim_params[d].empty() ? info.dim_params[d] : "?";
    }
  }
  return s + "]";
}

std::string HumanBytes(double b) {
  char buf[32];
  if (b >= 1 << 20) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1 << 20));
  } else if (b >= 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f B", b);
  }
  return buf;
}

StatusOr<std::unique_ptr<engine::Session>> LoadSession(const std::string& path, int threads, bool fusion = true) {
  engine::SessionOptions options;
  options.intra_op_threads = threads;
  options.fusion = fusion;
  auto session = engine::Session::Load(path, options);
  if (!session.ok()) return session.status().WithContext(path);
  return session;
}

RunFn SetupInspect(CLI::App& sub) {
  struct Args {
    std::string model;
    int64_t plan_batch = 0;
  };
  auto a = std::make_shared<Args>();
  sub.add_option("model", a->model, "model.onnx")->required();
  sub.add_option("--plan-batch", a->plan_batch, "also print the execution plan for this batch size");
  return [a]() -> Status {
    ASSIGN_OR_RETURN(auto session, LoadSession(a->model, 1));
    std::ifstream in(a->model, std::ios::binary);
    onnx::ModelProto proto;
    if (!proto.ParseFromIstream(&in)) return InvalidArgumentError(a->model + ": not a valid ONNX model");
    std::printf("model    %s\n", a->model.c_str());
    std::printf("producer %s %s, ir_version %lld, opset %d\n", proto.producer_name().c_str(),
                proto.producer_version().c_str(), static_cast<long long>(proto.ir_version()), session->opset());
    std::printf("inputs\n");
    for (const auto& t : session->inputs()) {
      std::printf("  %-16s %-8s %s\n", t.name.c_str(), std::string(engine::DTypeName(t.dtype)).c_str(),
                  ShapeString(t).c_str());
    }
    std::printf("outputs\n");
    for (const auto& t : session->outputs()) {
      std::printf("  %-16s %-8s %s\n", t.name.c_str(), std::string(engine::DTypeName(t.dtype)).c_str(),
                  ShapeString(t).c_str());
    }
    std::map<std::string, int> ops;
    for (const auto& node : proto.graph().node()) ops[node.op_type()]++;
    std::vector<std::pair<std::string, int>> sorted(ops.begin(), ops.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) {
      return x.second != y.second ? x.second > y.second : x.first < y.first;
    });
    std::printf("ops      %d nodes:", proto.graph().node_size());
    for (const auto& [op, n] : sorted) std::printf(" %s x%d", op.c_str(), n);
    std::printf("\n");
    int64_t params = 0, bytes = 0;
    for (const auto& init : proto.graph().initializer()) {
      int64_t n = 1;
      for (int64_t d : init.dims()) n *= d;
      params += n;
      bytes += n * static_cast<int64_t>(std::max<size_t>(engine::DTypeSize(engine::DTypeFromOnnx(init.data_type())), 1));
    }
    std::printf("params   %lld in %d initializers (%s)\n", static_cast<long long>(params),
                proto.graph().initializer_size(), HumanBytes(static_cast<double>(bytes)).c_str());
    for (const auto& [k, v] : session->metadata()) {
      std::string one_line = v;  // multi-line values (e.g. class names) print on one line
      std::replace(one_line.begin(), one_line.end(), '\n', ',');
      std::printf("meta     %s = %s\n", k.c_str(), one_line.c_str());
    }
    if (a->plan_batch < 0) return InvalidArgumentError("--plan-batch must be >= 1");
    if (a->plan_batch > 0) {
      std::vector<engine::Shape> shapes;
      ASSIGN_OR_RETURN(ModelInputs inputs, MakeInputs(*session, a->model, a->plan_batch));
      for (const auto& t : inputs.tensors) shapes.push_back(t.tensor.shape());
      ASSIGN_OR_RETURN(std::string plan, session->DescribePlan(shapes));
      std::printf("\nplan for batch %lld\n%s\n", static_cast<long long>(a->plan_batch), plan.c_str());
    }
    return Status::Ok();
  };
}

StatusOr<std::string> ReadText(const std::string& path) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return InvalidArgumentError(path + ": is a directory, not a JSON file");
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFoundError(path + ": cannot open");
    ss << in.rdbuf();
  }
  return ss.str();
}

RunFn SetupRun(CLI::App& sub) {
  struct Args {
    std::string model, inputs;
    int threads = 1;
  };
  auto a = std::make_shared<Args>();
  sub.add_option("model", a->model, "model.onnx")->required();
  sub.add_option("--inputs", a->inputs,
                 "request JSON in TF Serving's format ({\"inputs\": {...}} or {\"instances\": [...]}); '-' = stdin")
      ->required();
  sub.add_option("--threads", a->threads, "intra-op threads")->check(CLI::Range(1, 256));
  return [a]() -> Status {
    serving::OnnxLoaderOptions options;
    options.intra_op_threads = a->threads;
    options.warm_up = false;
    ASSIGN_OR_RETURN(auto servable, serving::LoadOnnxServable(a->model, options));
    ASSIGN_OR_RETURN(std::string text, ReadText(a->inputs));
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseNanAndInfFlag | rapidjson::kParseIterativeFlag>(text.data(), text.size());
    if (doc.HasParseError()) {
      return InvalidArgumentError(a->inputs + ": malformed JSON at offset " + std::to_string(doc.GetErrorOffset()) +
                                  ": " + rapidjson::GetParseError_En(doc.GetParseError()));
    }
    serving::PredictRequest request;
    serving::rest::RequestFormat format;
    RETURN_IF_ERROR(serving::rest::DecodePredictRequest(doc, *servable, &request, &format).WithContext(a->inputs));
    std::vector<std::string> names;
    for (const auto& o : servable->outputs()) names.push_back(o.name);
    serving::PredictResponse response;
    RETURN_IF_ERROR(servable->Run(request.inputs, names, &response.outputs));
    rapidjson::StringBuffer buf;
    serving::rest::JsonWriter writer(buf);
    RETURN_IF_ERROR(serving::rest::WritePredictResponse(response, format, &writer));
    std::printf("%s\n", buf.GetString());
    return Status::Ok();
  };
}

struct Timing {
  double median_us = 0, p99_us = 0;
};

// This thread's CPU time: unlike wall time it does not count time the scheduler gave to other processes, so it is
// the steadier number on a shared machine.
double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

Timing Summarize(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double p) { return us[std::min(us.size() - 1, static_cast<size_t>(p * us.size()))]; };
  return {at(0.5), at(0.99)};
}

RunFn SetupBench(CLI::App& sub) {
  struct Args {
    std::string model, batches = "1,100,1000", dump_io;
    int runs = 200, threads = 1;
    bool json = false, profile = false, no_fusion = false;
    std::vector<std::string> dims;
  };
  auto a = std::make_shared<Args>();
  sub.add_option("model", a->model, "model.onnx")->required();
  sub.add_option("--batch", a->batches, "comma-separated batch sizes")->capture_default_str();
  sub.add_option("--runs", a->runs, "timed runs per batch size (after warm-up)")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  sub.add_option("--threads", a->threads, "intra-op threads")->check(CLI::Range(1, 256))->capture_default_str();
  sub.add_flag("--json", a->json, "one JSON object per batch size instead of a table");
  sub.add_option("--dim", a->dims, "NAME=VALUE: size of a symbolic input dim (e.g. hist_batch=1), repeatable");
  sub.add_flag("--no-fusion", a->no_fusion, "load without operator fusion (to measure what fusion buys)");
  sub.add_flag("--profile", a->profile, "after each batch size, print time per op type (a separate profiled pass)");
  sub.add_option("--dump-io", a->dump_io, "write inputs and outputs as raw files to DIR/b<batch>/ (for bench/)");
  return [a]() -> Status {
    std::vector<int64_t> batches;
    std::stringstream ss(a->batches);
    for (std::string item; std::getline(ss, item, ',');) {
      char* end = nullptr;
      const long long b = std::strtoll(item.c_str(), &end, 10);
      if (item.empty() || *end != '\0' || b < 1) return InvalidArgumentError("--batch: bad batch size '" + item + "'");
      batches.push_back(b);
    }
    if (batches.empty()) return InvalidArgumentError("--batch: no batch sizes given");
    std::map<std::string, int64_t> named_dims;
    for (const std::string& d : a->dims) {
      const size_t eq = d.find('=');
      char* end = nullptr;
      const long long v = eq == std::string::npos ? -1 : std::strtoll(d.c_str() + eq + 1, &end, 10);
      if (eq == std::string::npos || eq == 0 || *end != '\0' || v < 1) {
        return InvalidArgumentError("--dim: expected NAME=POSITIVE_INT, got '" + d + "'");
      }
      named_dims[d.substr(0, eq)] = v;
    }
    ASSIGN_OR_RETURN(auto session, LoadSession(a->model, a->threads, !a->no_fusion));
    if (!a->json) std::printf("%8s %12s %12s %12s %12s\n", "batch", "median_us", "p99_us", "runs/s", "cpu_med_us");
    for (int64_t batch : batches) {
      ASSIGN_OR_RETURN(ModelInputs inputs, MakeInputs(*session, a->model, batch, 1, 8, named_dims));
      const auto views = inputs.views();
      engine::RunContext ctx;
      const int warmup = std::max(3, std::min(50, a->runs / 10));
      for (int i = 0; i < warmup; ++i) RETURN_IF_ERROR(session->Run(views, &ctx));
      std::vector<double> us(a->runs), cpu_us(a->runs);
      for (int i = 0; i < a->runs; ++i) {
        const double c0 = ThreadCpuMicros();
        const auto t0 = std::chrono::steady_clock::now();
        RETURN_IF_ERROR(session->Run(views, &ctx));
        us[i] = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
        cpu_us[i] = ThreadCpuMicros() - c0;
      }
      if (!a->dump_io.empty()) {
        const std::string dir = a->dump_io + "/b" + std::to_string(batch);
        RETURN_IF_ERROR(DumpTensors(dir, views, "", /*write_spec=*/true));
        std::vector<engine::NamedView> outs(ctx.outputs().begin(), ctx.outputs().end());
        RETURN_IF_ERROR(DumpTensors(dir, outs, "reco_", /*write_spec=*/false));
      }
      const Timing t = Summarize(us);
      const Timing cpu = Summarize(cpu_us);
      if (a->json) {
        std::printf("{\"batch\": %lld, \"median_us\": %.2f, \"p99_us\": %.2f, \"runs_per_s\": %.1f, "
                    "\"cpu_median_us\": %.2f}\n",
                    static_cast<long long>(batch), t.median_us, t.p99_us, 1e6 / t.median_us, cpu.median_us);
      } else {
        std::printf("%8lld %12.2f %12.2f %12.1f %12.2f\n", static_cast<long long>(batch), t.median_us, t.p99_us,
                    1e6 / t.median_us, cpu.median_us);
      }
      if (a->profile) {
        // Separate pass so the clock reads around every step do not skew the timings above.
        ctx.EnableProfiling(true);
        for (int i = 0; i < a->runs; ++i) RETURN_IF_ERROR(session->Run(views, &ctx));
        ASSIGN_OR_RETURN(std::string report, session->ProfileReport(ctx));
        std::printf("profile, batch %lld:\n%s", static_cast<long long>(batch), report.c_str());
      }
      std::fflush(stdout);
    }
    return Status::Ok();
  };
}

}  // namespace

RECO_REGISTER_COMMAND(inspect, "inspect", "show an ONNX model's inputs, outputs, opset, ops and parameters",
                      SetupInspect, 30);
RECO_REGISTER_COMMAND(run, "run", "run an ONNX model on a TF Serving-style JSON request with reco's engine", SetupRun,
                      31);
RECO_REGISTER_COMMAND(bench_model, "bench-model", "time reco's engine on a model at several batch sizes", SetupBench,
                      32);

}  // namespace reco::cli
