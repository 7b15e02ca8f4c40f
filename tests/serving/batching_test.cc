// Dynamic batching: merge/split, incompatible shapes, padding, queue full, options parsing. A fake servable sums
// each row; a fake inner runner records the batch sizes the "engine" sees and can hold batches back.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "serving/batching/batch_merge.h"
#include "serving/batching/batching_options.h"
#include "serving/batching/batching_runner.h"

namespace reco::serving::batching {
namespace {

// y[i] = sum of row i of x (x: [N, K] float).
class RowSumServable : public Servable {
 public:
  explicit RowSumServable(bool batch_major_output = true) : batch_major_(batch_major_output) {
    inputs_.push_back({"x", DataType::kFloat, {-1, -1}});
    outputs_.push_back({"y", DataType::kFloat, {-1}});
  }
  const std::vector<TensorInfo>& inputs() const override { return inputs_; }
  const std::vector<TensorInfo>& outputs() const override { return outputs_; }
  Status Run(std::span<const NamedTensor> inputs, std::span<const std::string> output_names,
             std::vector<NamedTensor>* outputs) const override {
    const Tensor& x = inputs[0].tensor;
    const int64_t n = x.shape[0], k = x.shape[1];
    outputs->resize(1);
    (*outputs)[0].name = "y";
    const int64_t out_rows = batch_major_ ? n : 1;
    (*outputs)[0].tensor.Reset(DataType::kFloat, std::vector<int64_t>{out_rows});
    for (int64_t i = 0; i < out_rows; ++i) {
      float s = 0;
      for (int64_t j = 0; j < k; ++j) s += x.data<float>()[i * k + j];
      (*outputs)[0].tensor.data<float>()[i] = s;
    }
    return Status::Ok();
  }

 private:
  bool batch_major_;
  std::vector<TensorInfo> inputs_, outputs_;
};

class RecordingRunner : public ServableRunner {
 public:
  Status Run(const ServableHandle& servable, std::span<const NamedTensor> inputs,
             std::span<const std::string> output_names, std::vector<NamedTensor>* outputs) const override {
    std::unique_lock lock(mu_);
    sizes_.push_back(inputs[0].tensor.shape[0]);
    ++started_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !hold_; });
    lock.unlock();
    return servable->Run(inputs, output_names, outputs);
  }
  std::vector<int64_t> sizes() const {
    std::lock_guard lock(mu_);
    return sizes_;
  }
  void Hold() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  void Release() {
    std::lock_guard lock(mu_);
    hold_ = false;
    cv_.notify_all();
  }
  void WaitStarted(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable std::vector<int64_t> sizes_;
  mutable int started_ = 0;
  bool hold_ = false;
};

std::vector<NamedTensor> Rows(std::initializer_list<std::vector<float>> rows) {
  std::vector<NamedTensor> in(1);
  in[0].name = "x";
  const int64_t k = static_cast<int64_t>(rows.begin()->size());
  in[0].tensor.Reset(DataType::kFloat, std::vector<int64_t>{static_cast<int64_t>(rows.size()), k});
  int64_t i = 0;
  for (const auto& r : rows) {
    for (float v : r) in[0].tensor.data<float>()[i++] = v;
  }
  return in;
}

std::vector<float> Values(const std::vector<NamedTensor>& out) {
  const Tensor& t = out.at(0).tensor;
  return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements());
}

BatchingOptions Opts(int64_t max_batch, int64_t timeout_us, int64_t threads = 1) {
  BatchingOptions o;
  o.max_batch_size = max_batch;
  o.batch_timeout_micros = timeout_us;
  o.num_batch_threads = threads;
  return o;
}

const std::vector<std::string> kOutputs = {"y"};
metrics::ServingMetrics test_metrics;

TEST(Batching, MergesConcurrentRequestsAndSplitsResults) {
  RecordingRunner inner;
  BatchingServableRunner runner(Opts(/*max_batch=*/6, /*timeout_us=*/30'000'000), &inner, &test_metrics);
  ServableHandle h("m", 1, std::make_shared<RowSumServable>());
  // 1 + 2 + 3 rows fill the batch exactly: it runs when the last one arrives, not at the (30 s) timeout.
  auto a = std::async(std::launch::async, [&] {
    auto in = Rows({{1, 2}});
    std::vector<NamedTensor> out;
    EXPECT_TRUE(runner.Run(h, in, kOutputs, &out).ok());
    return Values(out);
  });
  auto b = std::async(std::launch::async, [&] {
    auto in = Rows({{10, 20}, {30, 40}});
    std::vector<NamedTensor> out;
    EXPECT_TRUE(runner.Run(h, in, kOutputs, &out).ok());
    return Values(out);
  });
  auto c = std::async(std::launch::async, [&] {
    auto in = Rows({{100, 0}, {200, 0}, {300, 1}});
    std::vector<NamedTensor> out;
    EXPECT_TRUE(runner.Run(h, in, kOutputs, &out).ok());
    return Values(out);
  });
  EXPECT_EQ(a.get(), (std::vector<float>{3}));
  EXPECT_EQ(b.get(), (std::vector<float>{30, 70}));
  EXPECT_EQ(c.get(), (std::vector<float>{100, 200, 301}));
  EXPECT_EQ(inner.sizes(), (std::vector<int64_t>{6}));
}

// Fails a run whose input holds a negative value (like an out-of-range embedding id in one request's rows).
class RejectsNegativeServable : public RowSumServable {
 public:
  Status Run(std::span<const NamedTensor> inputs, std::span<const std::string> output_names,
             std::vector<NamedTensor>* outputs) const override {
    const Tensor& x = inputs[0].tensor;
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      if (x.data<float>()[i] < 0) return OutOfRangeError("negative value at position " + std::to_string(i));
    }
    return RowSumServable::Run(inputs, output_names, outputs);
  }
};

// A request whose data fails the merged run fails alone: the others in its batch are run again on their own.
TEST(Batching, OneBadRequestDoesNotFailTheOthersInItsBatch) {
  RecordingRunner inner;
  BatchingServableRunner runner(Opts(/*max_batch=*/6, /*timeout_us=*/30'000'000), &inner, &test_metrics);
  ServableHandle h("m", 1, std::make_shared<RejectsNegativeServable>());
  auto run = [&](std::vector<NamedTensor> in) {
    std::vector<NamedTensor> out;
    Status s = runner.Run(h, in, kOutputs, &out);
    return std::make_pair(s, s.ok() ? Values(out) : std::vector<float>{});
  };
  auto a = std::async(std::launch::async, [&] { return run(Rows({{1, 2}})); });
  auto b = std::async(std::launch::async, [&] { return run(Rows({{10, 20}, {30, -40}})); });
  auto c = std::async(std::launch::async, [&] { return run(Rows({{100, 0}, {200, 0}, {300, 1}})); });
  const auto ra = a.get(), rb = b.get(), rc = c.get();
  EXPECT_TRUE(ra.first.ok()) << ra.first.ToString();
  EXPECT_EQ(ra.second, (std::vector<float>{3}));
  EXPECT_EQ(rb.first.code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(rc.first.ok()) << rc.first.ToString();
  EXPECT_EQ(rc.second, (std::vector<float>{100, 200, 301}));
  const std::vector<int64_t> sizes = inner.sizes();
  ASSERT_FALSE(sizes.empty());
  EXPECT_EQ(sizes.front(), 6);  // merged first, then one by one
  EXPECT_EQ(sizes.size(), 4u);
}

TEST(Batching, TimeoutRunsPartialBatch) {
  RecordingRunner inner;
  BatchingServableRunner runner(Opts(/*max_batch=*/64, /*timeout_us=*/2000), &inner, &test_metrics);
  ServableHandle h("m", 1, std::make_shared<RowSumServable>());
  auto in = Rows({{1, 1}, {2, 2}});
  std::vector<NamedTensor> out;
  ASSERT_TRUE(runner.Run(h, in, kOutputs, &out).ok());
  EXPECT_EQ(Values(out), (std::vector<float>{2, 4}));
  EXPECT_EQ(inner.sizes(), (std::vector<int64_t>{2}));
}

TEST(Batching, IncompatibleShapesAreNeverMerged) {
  RecordingRunner inner;
  inner.Hold();
  BatchingServableRunner runner(Opts(/*max_batch=*/4, /*timeout_us=*/20'000), &inner, &test_metrics);
  ServableHandle h("m", 1, std::make_shared<RowSumServable>());
  auto two = std::async(std::launch::async, [&] {
    auto in = Rows({{1, 2}});
    std::vector<NamedTensor> out;
    EXPECT_TRUE(runner.Run(h, in, kOutputs, &out).ok());
    return Values(out);
  });
  auto three = std::async(std::launch::async, [&] {
    auto in = Rows({{1, 2, 3}});
    std::vector<NamedTensor> out;
    EXPECT_TRUE(runner.Run(h, in, kOutputs, &out).ok());
    return Values(out);
  });
  inner.WaitStarted(1);
  inner.Release();
  EXPECT_EQ(two.get(), (std::vector<float>{3}));
  EXPECT_EQ(three.get(), (std::vector<float>{6}));
  EXPECT_EQ(inner.sizes(), (std::vector<int64_t>{1, 1}));
}

TEST(Batching, DifferentServablesAreNeverMerged) {
  RecordingRunner inner;
  BatchingServableRunner runner(Opts(/*max_batch=*/2, /*timeout_us=*/20'000), &inner, &test_metrics);
  ServableHandle v1("m", 1, std::make_shared<RowSumServable>());
  ServableHandle v2("m", 2, std::make_shared<RowSumServable>());
  auto a = std::async(std::launch::async, [&] {
    auto in = Rows({{1, 2}});
    std::vector<NamedTensor> out;
    return runner.Run(v1, in, kOutputs, &out).ok();
  });
  auto in = Rows({{1, 2}});
  std::vector<NamedTensor> out;
  EXPECT_TRUE(runner.Run(v2, in, kOutputs, &out).ok());
  EXPECT_TRUE(a.get());
  EXPECT_EQ(inner.sizes(), (std::vector<int64_t>{1, 1}));
}

TEST(Batching, PadsToAllowedBatchSize) {
  RecordingRunner inner;
  BatchingOptions o = Opts(/*max_batch=*/4, /*timeout_us=*/1000);
  o.allowed_batch_sizes = {2, 4};
  BatchingServableRunner runner(o, &inner, &test_metrics);
  ServableHandle h("m", 1, std::make_shared<RowSumServable>());
  auto in = Rows({{1, 0}, {2, 0}, {3, 0}});
  std::vector<NamedTensor> out;
  ASSERT_TRUE(runner.Run(h, in, kOutputs, &out).ok());
  EXPECT_EQ(Values(out), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(out[0].tensor.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(inner.sizes(), (std::vector<int64_t>{4}));
}

TEST(Batching, QueueFullIsUnavailableAsInTfServing) {
  RecordingRunner inner;
  inner.Hold();
  BatchingOptions o = Opts(/*max_batch=*/1, /*timeout_us=*/0);
  o.max_enqueued_batches = 1;
  BatchingServableRunner runner(o, &inner, &test_metrics);
  ServableHandle h("m", 1, std::make_shared<RowSumServable>());
  auto call = [&] {
    auto in = Rows({{1, 2}});
    std::vector<NamedTensor> out;
    return runner.Run(h, in, kOutputs, &out).code();
  };
  auto first = std::async(std::launch::async, call);
  inner.WaitStarted(1);  // the only batch thread is busy with the first request
  // One more batch may wait; of the next two exactly one finds the queue full.
  auto second = std::async(std::launch::async, call);
  auto third = std::async(std::launch::async, call);
  // The rejected one returns at once while the queued one waits for Release.
  std::vector<StatusCode> codes;
  for (;;) {
    if (second.wait_for(std::chrono::milliseconds(1)) == std::future_status::ready) {
      codes.push_back(second.get());
      break;
    }
    if (third.wait_for(std::chrono::milliseconds(1)) == std::future_status::ready) {
      codes.push_back(third.get());
      break;
    }
  }
  EXPECT_EQ(codes[0], StatusCode::kUnavailable);
  inner.Release();
  EXPECT_EQ(first.get(), StatusCode::kOk);
  codes.push_back(second.valid() ? second.get() : third.get());
  EXPECT_EQ(codes[1], StatusCode::kOk);
}

TEST(Batching, OutputsThatAreNotBatchMajorFailClearly) {
  RecordingRunner inner;
  BatchingServableRunner runner(Opts(/*max_batch=*/2, /*timeout_us=*/30'000'000), &inner, &test_metrics);
  ServableHandle h("m", 1, std::make_shared<RowSumServable>(/*batch_major_output=*/false));
  auto other = std::async(std::launch::async, [&] {
    auto in = Rows({{1, 2}});
    std::vector<NamedTensor> out;
    return runner.Run(h, in, kOutputs, &out);
  });
  auto in = Rows({{1, 2}});
  std::vector<NamedTensor> out;
  Status s = runner.Run(h, in, kOutputs, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("output 'y'"), std::string::npos) << s.message();
  EXPECT_EQ(other.get().code(), StatusCode::kInvalidArgument);
}

TEST(Batching, OversizedAndScalarRequestsRunDirectly) {
  RecordingRunner inner;
  BatchingServableRunner runner(Opts(/*max_batch=*/2, /*timeout_us=*/30'000'000), &inner, &test_metrics);
  ServableHandle h("m", 1, std::make_shared<RowSumServable>());
  auto in = Rows({{1}, {2}, {3}});
  std::vector<NamedTensor> out;
  ASSERT_TRUE(runner.Run(h, in, kOutputs, &out).ok());  // would wait 30 s if it were queued
  EXPECT_EQ(Values(out), (std::vector<float>{1, 2, 3}));
}

TEST(BatchMerge, KeyIgnoresBatchDimOnly) {
  std::string k1, k2, k3;
  auto a = Rows({{1, 2}});
  auto b = Rows({{1, 2}, {3, 4}});
  auto c = Rows({{1, 2, 3}});
  EXPECT_EQ(BatchKey(nullptr, a, kOutputs, &k1), 1);
  EXPECT_EQ(BatchKey(nullptr, b, kOutputs, &k2), 2);
  EXPECT_EQ(BatchKey(nullptr, c, kOutputs, &k3), 1);
  EXPECT_EQ(k1, k2);
  EXPECT_NE(k1, k3);
  std::vector<std::string> other_outputs = {"z"};
  std::string k4;
  BatchKey(nullptr, a, other_outputs, &k4);
  EXPECT_NE(k1, k4);
  // Inputs disagreeing on dim 0 cannot be batched.
  std::vector<NamedTensor> two = {a[0], b[0]};
  two[1].name = "x2";
  EXPECT_FALSE(BatchKey(nullptr, two, kOutputs, &k4).has_value());
}

TEST(BatchingOptions, ParsesTfServingText) {
  auto o = ParseBatchingParameters(
      "max_batch_size { value: 8 }\nbatch_timeout_micros { value: 500 }\nmax_enqueued_batches { value: 3 }\n"
      "num_batch_threads { value: 2 }\nallowed_batch_sizes: 4\nallowed_batch_sizes: 8\n");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->max_batch_size, 8);
  EXPECT_EQ(o->batch_timeout_micros, 500);
  EXPECT_EQ(o->max_enqueued_batches, 3);
  EXPECT_EQ(o->num_batch_threads, 2);
  EXPECT_EQ(o->PaddedSize(3), 4);
  EXPECT_EQ(o->PaddedSize(5), 8);
  auto defaults = ParseBatchingParameters("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->max_batch_size, 1000);
  EXPECT_EQ(defaults->PaddedSize(7), 7);
}

TEST(BatchingOptions, RejectsBadParameters) {
  EXPECT_EQ(ParseBatchingParameters("max_batch_size: 8").status().code(), StatusCode::kInvalidArgument);
  auto unknown = ParseBatchingParameters("max_batch_sizes { value: 8 }", "b.txt");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("b.txt:1:"), std::string::npos) << unknown.status().message();
  auto last = ParseBatchingParameters("max_batch_size { value: 8 } allowed_batch_sizes: 4");
  ASSERT_FALSE(last.ok());
  EXPECT_NE(last.status().message().find("max_batch_size"), std::string::npos);
  EXPECT_FALSE(ParseBatchingParameters("max_batch_size { value: 0 }").ok());
  EXPECT_FALSE(ParseBatchingParameters("num_batch_threads { value: 0 }").ok());
  EXPECT_FALSE(ParseBatchingParameters("max_batch_size { value: 8 } allowed_batch_sizes: 8 allowed_batch_sizes: 4 "
                                       "allowed_batch_sizes: 8").ok());
  EXPECT_EQ(ReadBatchingParametersFile("/nonexistent/batching.txt").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace reco::serving::batching
