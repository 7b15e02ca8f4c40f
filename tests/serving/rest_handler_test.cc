// The REST API without sockets: RestHandler over a ServerCore with fake servables. Covers TF Serving's predict
// formats, status/metadata JSON, KServe v2, and the bad-input table of issue 4 (status code + JSON error each).
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <rapidjson/document.h>

#include "serving/model_config.h"
#include "serving/prediction_service.h"
#include "serving/rest/rest_handler.h"
#include "serving/server_core.h"
#include "testutil/fake_file_system.h"
#include "testutil/fake_servable.h"

namespace reco::serving::rest {
namespace {

struct Reply {
  int status;
  std::string body;
  rapidjson::Document json;
};

class RestHandlerTest : public ::testing::Test {
 protected:
  RestHandlerTest() : loaders_(&fs_), core_(&fs_, &loaders_), service_(&core_.manager()), handler_(&service_, {}) {
    fs_.WriteFile("/m/seed/1/model.onnx", "ok");
    fs_.WriteFile("/m/seed/2/model.onnx", "ok");
    fs_.WriteFile("/m/multi/5/model.onnx", "multi");
    auto config = ParseModelServerConfig(R"(model_config_list {
      config { name: "seed" base_path: "/m/seed" model_platform: "onnx"
               model_version_policy { all {} } version_labels { key: "stable" value: 1 } }
      config { name: "multi" base_path: "/m/multi" model_platform: "onnx" } })");
    EXPECT_TRUE(config.ok());
    EXPECT_TRUE(core_.ReloadConfig(*config).ok());
  }

  Reply Call(std::string_view method, std::string_view target, std::string body = "") {
    RestResponse response;
    handler_.Handle(method, target, body, &context_, &response);
    Reply reply{response.status, std::string(response.body), {}};
    reply.json.Parse<rapidjson::kParseNanAndInfFlag>(reply.body.c_str());
    return reply;
  }
  Reply Post(std::string_view target, std::string body) { return Call("POST", target, std::move(body)); }

  testutil::FakeFileSystem fs_;
  testutil::FakeLoaderFactory loaders_;
  ServerCore core_;
  PredictionService service_;
  RestHandler handler_;
  RestContext context_;
};

const std::string kRow8 = "[1,1,1,1,1,1,1,1]";
const std::string kRow8b = "[0.5,0,0,0,0,0,0,0]";

TEST_F(RestHandlerTest, ColumnarPredictAsTheIssueClientSendsIt) {
  Reply r = Post("/v1/models/seed:predict", R"({"signature_name": "serving_default", "inputs": {"user_input": [)" +
                                                kRow8 + R"(], "item_input": [)" + kRow8b + "]}}");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.json["outputs"].IsArray()) << r.body;  // one output: unnamed
  EXPECT_FLOAT_EQ(r.json["outputs"][0][0].GetFloat(), 2008.5f);  // newest version (2) answered
}

TEST_F(RestHandlerTest, RowPredictVersionsAndLabels) {
  const std::string body = R"({"instances": [{"user_input": )" + kRow8 + R"(, "item_input": )" + kRow8b +
                           R"(}, {"user_input": )" + kRow8b + R"(, "item_input": )" + kRow8b + "}]}";
  Reply r = Post("/v1/models/seed/versions/1:predict", body);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["predictions"].Size(), 2u);
  EXPECT_FLOAT_EQ(r.json["predictions"][0][0].GetFloat(), 1008.5f);
  EXPECT_FLOAT_EQ(r.json["predictions"][1][0].GetFloat(), 1001.0f);
  r = Post("/v1/models/seed/labels/stable:predict", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FLOAT_EQ(r.json["predictions"][0][0].GetFloat(), 1008.5f);
}

TEST_F(RestHandlerTest, MultipleOutputsAreKeyedByName) {
  const std::string inputs = R"({"ids": [[1,2,3],[4,5,6]], "weights": [[1,0,0],[0,1,0.5]]})";
  Reply r = Post("/v1/models/multi:predict", R"({"inputs": )" + inputs + "}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FLOAT_EQ(r.json["outputs"]["score"][1].GetFloat(), 5008.0f);
  EXPECT_EQ(r.json["outputs"]["top_id"][1][0].GetInt64(), 4);
  r = Post("/v1/models/multi:predict", R"({"instances": [{"ids": [1,2,3], "weights": [1,0,0]}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FLOAT_EQ(r.json["predictions"][0]["score"].GetFloat(), 5001.0f);
  EXPECT_EQ(r.json["predictions"][0]["top_id"][0].GetInt64(), 1);
}

TEST_F(RestHandlerTest, NanAndInfinityTokensRoundTrip) {
  Reply r = Post("/v1/models/seed:predict", R"({"inputs": {"user_input": [[NaN,0,0,0,0,0,0,0]],
                                                "item_input": [[Infinity,0,0,0,0,0,0,0]]}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("NaN"), std::string::npos) << r.body;
  r = Post("/v1/models/seed:predict", R"({"inputs": {"user_input": [[-Infinity,0,0,0,0,0,0,0]],
                                          "item_input": [[0,0,0,0,0,0,0,0]]}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("-Infinity"), std::string::npos) << r.body;
}

// As TF Serving: a whole-number float output is written "2016.0" (typed JSON clients read a float), and top-level
// keys other than instances / inputs / signature_name are ignored.
TEST_F(RestHandlerTest, WholeFloatsKeepAPointAndUnknownTopLevelKeysAreIgnored) {
  Reply r = Post("/v1/models/seed:predict", "{\"client_request_id\": \"abc\", \"inputs\": {\"user_input\": [" + kRow8 +
                                                "], \"item_input\": [" + kRow8 + "]}}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"outputs":[[2016.0]]})");
  r = Post("/v1/models/seed:predict", "{\"instances\": [{\"user_input\": " + kRow8b + ", \"item_input\": " + kRow8b + "}]}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"predictions":[[2001.0]]})");
}

// TF Serving's /v1 routes are case-insensitive ((?i) regular expressions); model names and labels are not.
TEST_F(RestHandlerTest, V1RoutesIgnoreCase) {
  const std::string body = "{\"inputs\": {\"user_input\": [" + kRow8 + "], \"item_input\": [" + kRow8 + "]}}";
  EXPECT_EQ(Post("/V1/Models/seed/Versions/1:Predict", body).status, 200);
  EXPECT_EQ(Post("/v1/MODELS/seed/LABELS/stable:PREDICT", body).status, 200);
  EXPECT_EQ(Call("GET", "/v1/models/seed/METADATA").status, 200);
  EXPECT_EQ(Post("/v1/models/SEED:predict", body).status, 404);
}

TEST_F(RestHandlerTest, StatusAndMetadata) {
  Reply r = Call("GET", "/v1/models/seed");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["model_version_status"].Size(), 2u);
  EXPECT_STREQ(r.json["model_version_status"][0]["version"].GetString(), "2");
  EXPECT_STREQ(r.json["model_version_status"][0]["state"].GetString(), "AVAILABLE");
  EXPECT_STREQ(r.json["model_version_status"][0]["status"]["error_code"].GetString(), "OK");
  r = Call("GET", "/v1/models/seed/labels/stable");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_STREQ(r.json["model_version_status"][0]["version"].GetString(), "1");

  r = Call("GET", "/v1/models/seed/versions/1/metadata");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_STREQ(r.json["model_spec"]["version"].GetString(), "1");
  const auto& sig = r.json["metadata"]["signature_def"]["signature_def"]["serving_default"];
  EXPECT_STREQ(sig["method_name"].GetString(), "tensorflow/serving/predict");
  EXPECT_STREQ(sig["inputs"]["user_input"]["dtype"].GetString(), "DT_FLOAT");
  EXPECT_STREQ(sig["inputs"]["user_input"]["tensor_shape"]["dim"][0]["size"].GetString(), "-1");
  EXPECT_STREQ(sig["inputs"]["user_input"]["tensor_shape"]["dim"][1]["size"].GetString(), "8");
  EXPECT_STREQ(sig["outputs"]["output"]["dtype"].GetString(), "DT_FLOAT");
}

TEST_F(RestHandlerTest, BrokenVersionShowsItsErrorInStatus) {
  fs_.WriteFile("/m/seed/3/model.onnx", "broken");
  core_.PollFileSystem();
  Reply r = Call("GET", "/v1/models/seed/versions/3");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_STREQ(r.json["model_version_status"][0]["state"].GetString(), "END");
  EXPECT_STREQ(r.json["model_version_status"][0]["status"]["error_code"].GetString(), "INVALID_ARGUMENT");
  EXPECT_NE(std::string(r.json["model_version_status"][0]["status"]["error_message"].GetString()).find("not a valid"),
            std::string::npos);
}

TEST_F(RestHandlerTest, KServeV2) {
  EXPECT_EQ(Call("GET", "/v2/health/live").status, 200);
  EXPECT_EQ(Call("GET", "/v2/health/ready").status, 200);
  EXPECT_EQ(Call("GET", "/v2/models/seed/ready").status, 200);
  EXPECT_EQ(Call("GET", "/v2/models/seed/versions/1/ready").status, 200);
  EXPECT_EQ(Call("GET", "/v2/models/seed/versions/9/ready").status, 503);
  EXPECT_EQ(Call("GET", "/v2/models/nope/ready").status, 404);
  Reply meta = Call("GET", "/v2/models/seed");
  ASSERT_EQ(meta.status, 200) << meta.body;
  EXPECT_STREQ(meta.json["inputs"][0]["datatype"].GetString(), "FP32");
  EXPECT_EQ(meta.json["inputs"][0]["shape"][0].GetInt(), -1);
  EXPECT_EQ(meta.json["versions"].Size(), 2u);

  Reply r = Post("/v2/models/seed/versions/1/infer", R"({"id": "42", "inputs": [
      {"name": "user_input", "shape": [1, 8], "datatype": "FP32", "data": [1,1,1,1,1,1,1,1]},
      {"name": "item_input", "shape": [1, 8], "datatype": "FP32", "data": [[0.5,0,0,0,0,0,0,0]]}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_STREQ(r.json["id"].GetString(), "42");
  EXPECT_STREQ(r.json["model_version"].GetString(), "1");
  EXPECT_STREQ(r.json["outputs"][0]["name"].GetString(), "output");
  EXPECT_STREQ(r.json["outputs"][0]["datatype"].GetString(), "FP32");
  EXPECT_EQ(r.json["outputs"][0]["shape"][1].GetInt(), 1);
  EXPECT_FLOAT_EQ(r.json["outputs"][0]["data"][0].GetFloat(), 1008.5f);
}

TEST_F(RestHandlerTest, ClassifyAndRegressAre501) {
  for (const char* verb : {":classify", ":regress"}) {
    Reply r = Post(std::string("/v1/models/seed") + verb, "{}");
    EXPECT_EQ(r.status, 501) << verb;
    EXPECT_TRUE(r.json.HasMember("error"));
  }
}

// The bad-input table: every row must answer with its status code and a JSON {"error": "..."} that mentions the
// given fragment.
struct BadCase {
  const char* label;
  const char* method;
  const char* target;
  std::string body;
  int status;
  const char* fragment;
};

TEST_F(RestHandlerTest, BadInputs) {
  const std::string seed = "/v1/models/seed:predict";
  const std::string ok_item = R"("item_input": [)" + kRow8 + "]";
  const std::vector<BadCase> cases = {
      {"malformed JSON", "POST", seed.c_str(), "{\"inputs\": ", 400, "malformed JSON"},
      {"not an object", "POST", seed.c_str(), "[1,2]", 400, "JSON object"},
      {"trailing garbage", "POST", seed.c_str(), R"({"inputs": {}} xyz)", 400, "malformed JSON"},
      {"both formats", "POST", seed.c_str(), R"({"instances": [], "inputs": {}})", 400, "both"},
      {"neither format", "POST", seed.c_str(), R"({"signature_name": "serving_default"})", 400, "neither"},
      {"float out of range", "POST", seed.c_str(), R"({"inputs": {"user_input": [[1e39,1,1,1,1,1,1,1]], )" + ok_item +
       "}}", 400, "does not fit a float"},
      {"unknown input", "POST", seed.c_str(), R"({"inputs": {"nope": [[1]], )" + ok_item + "}}", 400, "'nope'"},
      {"missing input", "POST", seed.c_str(), "{\"inputs\": {" + ok_item + "}}", 400, "missing input 'user_input'"},
      {"empty inputs object", "POST", seed.c_str(), R"({"inputs": {}})", 400, "empty"},
      {"bare tensor for 2 inputs", "POST", seed.c_str(), R"({"inputs": [[1,2]]})", 400, "keyed by input name"},
      {"ragged rows", "POST", seed.c_str(), R"({"inputs": {"user_input": [[1,1,1,1,1,1,1,1],[1,1]], )" + ok_item +
       "}}", 400, "ragged"},
      {"too deep", "POST", seed.c_str(), R"({"inputs": {"user_input": [[1,[1],1,1,1,1,1,1]], )" + ok_item + "}}", 400,
       "ragged"},
      {"string for number", "POST", seed.c_str(), R"({"inputs": {"user_input": [["a",1,1,1,1,1,1,1]], )" + ok_item +
       "}}", 400, "a string"},
      {"bool for float", "POST", seed.c_str(), R"({"inputs": {"user_input": [[true,1,1,1,1,1,1,1]], )" + ok_item +
       "}}", 400, "a boolean"},
      {"null element", "POST", seed.c_str(), R"({"inputs": {"user_input": [[null,1,1,1,1,1,1,1]], )" + ok_item +
       "}}", 400, "null"},
      {"b64 for float", "POST", seed.c_str(), R"({"inputs": {"user_input": [[{"b64": "AAAA"},1,1,1,1,1,1,1]], )" +
       ok_item + "}}", 400, "an object"},
      {"wrong rank", "POST", seed.c_str(), R"({"inputs": {"user_input": [1,1,1,1,1,1,1,1], )" + ok_item + "}}", 400,
       "rank 1"},
      {"wrong inner dim", "POST", seed.c_str(), R"({"inputs": {"user_input": [[1,1,1]], )" + ok_item + "}}", 400,
       "dimension 1"},
      {"float for int64", "POST", "/v1/models/multi:predict",
       R"({"inputs": {"ids": [[1.5,2,3]], "weights": [[1,1,1]]}})", 400, "an integer"},
      {"empty instances", "POST", seed.c_str(), R"({"instances": []})", 400, "empty"},
      {"instances not a list", "POST", seed.c_str(), R"({"instances": {"a": 1}})", 400, "must be a list"},
      {"instance missing input", "POST", seed.c_str(), "{\"instances\": [{" + ok_item + "}]}", 400,
       "missing input 'user_input'"},
      {"instance unknown input", "POST", seed.c_str(),
       "{\"instances\": [{\"zzz\": 1, \"user_input\": " + kRow8 + ", " + ok_item + "}]}", 400, "'zzz'"},
      {"ragged instances", "POST", seed.c_str(), "{\"instances\": [{\"user_input\": " + kRow8 + ", " + ok_item +
       "}, {\"user_input\": [1,2], " + ok_item + "}]}", 400, "instance 1"},
      {"mixed instance kinds", "POST", seed.c_str(), "{\"instances\": [{\"user_input\": " + kRow8 + ", " + ok_item +
       "}, [1]]}", 400, "instance 1"},
      {"bare instances for 2 inputs", "POST", seed.c_str(), "{\"instances\": [" + kRow8 + "]}", 400, "2 inputs"},
      {"bad signature", "POST", seed.c_str(), "{\"signature_name\": \"train\", \"inputs\": {\"user_input\": [" +
       kRow8 + "], " + ok_item + "}}", 400, "\"train\""},
      {"signature not a string", "POST", seed.c_str(), R"({"signature_name": 1, "inputs": {}})", 400,
       "signature_name"},
      {"batch mismatch", "POST", seed.c_str(), "{\"inputs\": {\"user_input\": [" + kRow8 + "," + kRow8 +
       "], " + ok_item + "}}", 400, "batch"},
      {"unknown model", "POST", "/v1/models/nope:predict", "{}", 404, "nope"},
      {"unknown version", "POST", "/v1/models/seed/versions/9:predict", "{}", 404, "version 9"},
      {"unknown label", "POST", "/v1/models/seed/labels/canary:predict", "{}", 404, "canary"},
      {"non-numeric version", "POST", "/v1/models/seed/versions/abc:predict", "{}", 400, "'abc'"},
      {"negative version", "GET", "/v1/models/seed/versions/-1", "", 400, "'-1'"},
      {"dot-dot model name", "GET", "/v1/models/..", "", 400, "invalid model name"},
      {"escaped slash in name", "POST", "/v1/models/a%2Fb:predict", "{}", 400, "invalid model name"},
      {"dot-dot in label", "GET", "/v1/models/seed/labels/..", "", 400, "invalid version label"},
      {"unknown verb", "POST", "/v1/models/seed:explain", "{}", 404, "explain"},
      {"GET on predict", "GET", seed.c_str(), "", 404, "POST"},
      {"POST on status", "POST", "/v1/models/seed", "{}", 404, "GET"},
      {"unknown path", "GET", "/v3/whatever", "", 404, "Malformed request"},
      {"status unknown model", "GET", "/v1/models/nope", "", 404, "nope"},
      {"metadata unknown version", "GET", "/v1/models/seed/versions/7/metadata", "", 404, "version 7"},
      {"kserve malformed", "POST", "/v2/models/seed/infer", "{", 400, "malformed JSON"},
      {"kserve no inputs", "POST", "/v2/models/seed/infer", "{}", 400, "'inputs'"},
      {"kserve wrong datatype", "POST", "/v2/models/seed/infer",
       R"({"inputs": [{"name": "user_input", "shape": [1,8], "datatype": "INT64", "data": [1,1,1,1,1,1,1,1]}]})", 400,
       "INT64"},
      {"kserve data/shape mismatch", "POST", "/v2/models/seed/infer",
       R"({"inputs": [{"name": "user_input", "shape": [1,8], "datatype": "FP32", "data": [1,1,1]}]})", 400,
       "needs 8"},
      {"kserve unknown output", "POST", "/v2/models/seed/infer",
       "{\"inputs\": [{\"name\": \"user_input\", \"shape\": [1,8], \"datatype\": \"FP32\", \"data\": " + kRow8 +
       "}, {\"name\": \"item_input\", \"shape\": [1,8], \"datatype\": \"FP32\", \"data\": " + kRow8 +
       "}], \"outputs\": [{\"name\": \"nope\"}]}", 400, "output_filter"},
      {"kserve negative shape", "POST", "/v2/models/seed/infer",
       R"({"inputs": [{"name": "user_input", "shape": [-1,8], "datatype": "FP32", "data": []}]})", 400, "shape"},
      {"kserve unknown model", "GET", "/v2/models/nope", "", 404, "nope"},
  };
  ASSERT_GE(cases.size(), 30u);
  for (const BadCase& c : cases) {
    Reply r = Call(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.label << ": " << r.body;
    ASSERT_TRUE(r.json.IsObject() && r.json.HasMember("error") && r.json["error"].IsString())
        << c.label << ": not a JSON error: " << r.body;
    EXPECT_NE(std::string(r.json["error"].GetString()).find(c.fragment), std::string::npos)
        << c.label << ": '" << c.fragment << "' not in " << r.body;
  }
  // A good request on the same context still works after all those errors.
  EXPECT_EQ(Post(seed, "{\"inputs\": {\"user_input\": [" + kRow8 + "], " + ok_item + "}}").status, 200);
}

// Nested lists whose first elements claim a huge shape: `depth` levels, each a list of `width` whose first element
// is the next level and whose other elements are 0 (so the body is ragged and a few KB).
std::string ClaimingList(int depth, int width) {
  std::string inner = "[0.5";
  for (int i = 1; i < width; ++i) inner += ",0";
  inner += "]";
  for (int d = 1; d < depth; ++d) {
    std::string next = "[" + inner;
    for (int i = 1; i < width; ++i) next += ",0";
    inner = next + "]";
  }
  return inner;
}

// Requests of a few KB that once crashed the server or made it allocate terabytes: the tensor is sized only after
// the body is known to hold that many values, and the parser does not recurse per nesting level.
TEST_F(RestHandlerTest, SmallBodiesClaimingHugeTensorsAre400) {
  const std::string seed = "/v1/models/seed:predict";
  const std::string ok_item = R"("item_input": [)" + kRow8 + "]";
  // 256^8 = 2^64 elements wraps to 0 in an unchecked product (a write past a 0-byte buffer); 256^5 is 4 TB.
  for (int depth : {5, 8}) {
    Reply r = Post(seed, "{\"inputs\": {\"user_input\": " + ClaimingList(depth, 256) + ", " + ok_item + "}}");
    EXPECT_EQ(r.status, 400) << "columnar depth " << depth << ": " << r.body.substr(0, 200);
    r = Post(seed, "{\"instances\": [{\"user_input\": " + ClaimingList(depth, 256) + ", " + ok_item + "}]}");
    EXPECT_EQ(r.status, 400) << "row depth " << depth << ": " << r.body.substr(0, 200);
  }
  // 200k nested brackets: a recursive parse overflows the stack.
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  EXPECT_EQ(Post(seed, "{\"instances\": " + deep + "}").status, 400);
  EXPECT_EQ(Post("/v2/models/seed/infer", "{\"inputs\": " + deep + "}").status, 400);
  // KServe: the declared shape must match the data before anything is allocated.
  for (const char* shape : {"[100000000000]", "[4294967296,4294967296]", "[500000,784]"}) {
    Reply r = Post("/v2/models/seed/infer", fmt::format(R"({{"inputs": [{{"name": "user_input", "shape": {}, )"
                                                        R"("datatype": "FP32", "data": [1]}}]}})", shape));
    EXPECT_EQ(r.status, 400) << shape << ": " << r.body;
  }
  Reply nested = Post("/v2/models/seed/infer",
                      R"({"inputs": [{"name": "user_input", "shape": [1,8], "datatype": "FP32", "data": )" + deep + "}]}");
  EXPECT_EQ(nested.status, 400) << nested.body.substr(0, 200);
  // And the context still serves a good request.
  EXPECT_EQ(Post(seed, "{\"inputs\": {\"user_input\": [" + kRow8 + "], " + ok_item + "}}").status, 200);
}

}  // namespace
}  // namespace reco::serving::rest

namespace reco::serving::rest {
namespace {

TEST(RestHandlerHooksTest, OnRequestAndMetricsPath) {
  testutil::FakeFileSystem fs;
  fs.WriteFile("/m/seed/4/model.onnx", "ok");
  testutil::FakeLoaderFactory loaders(&fs);
  ServerCore core(&fs, &loaders);
  ASSERT_TRUE(core.ReloadConfig(SingleModelConfig("seed", "/m/seed")).ok());
  PredictionService service(&core.manager());
  std::vector<std::string> seen;
  RestHandler::Options options;
  options.metrics_text = [] { return std::string("reco_up 1\n"); };
  options.on_request = [&](std::string_view model, int64_t version, std::string_view api, StatusCode code, double) {
    seen.push_back(fmt::format("{} {} {} {}", model, version, api, StatusCodeName(code)));
  };
  RestHandler handler(&service, options);
  RestContext ctx;
  RestResponse response;
  std::string body = R"({"inputs": {"user_input": [[1,1,1,1,1,1,1,1]], "item_input": [[1,1,1,1,1,1,1,1]]}})";
  handler.Handle("POST", "/v1/models/seed:predict", body, &ctx, &response);
  EXPECT_EQ(response.status, 200);
  std::string bad = "{";
  handler.Handle("POST", "/v1/models/seed:predict", bad, &ctx, &response);
  EXPECT_EQ(response.status, 400);
  std::string empty;
  handler.Handle("GET", "/monitoring/prometheus/metrics", empty, &ctx, &response);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "reco_up 1\n");
  EXPECT_NE(response.content_type.find("text/plain"), std::string_view::npos);
  // A model name that resolves to nothing is not recorded as a label (each would be a new time series forever).
  std::string any = "{}";
  handler.Handle("POST", "/v1/models/no-such-model-123:predict", any, &ctx, &response);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(seen, (std::vector<std::string>{"seed 4 predict OK", "seed 4 predict INVALID_ARGUMENT",
                                            " 0 predict NOT_FOUND"}));
}

}  // namespace
}  // namespace reco::serving::rest
