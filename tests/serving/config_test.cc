#include <gtest/gtest.h>

#include "serving/model_config.h"
#include "serving/version_policy.h"

namespace reco::serving {
namespace {

// Verbatim from issue 4 (the config that must work unchanged): `#` comment and trailing comma included.
constexpr char kIssueConfig[] = R"(model_config_list: {
    config: {
        name: "dIN_model",
        base_path: "/models/din_model",
        model_platform: "onnx", # the model is ONNX
    }
}
)";

TEST(ModelConfigTest, ParsesTheIssueExampleExactly) {
  auto config = ParseModelServerConfig(kIssueConfig);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->model_config_list().config_size(), 1);
  const auto& model = config->model_config_list().config(0);
  EXPECT_EQ(model.name(), "dIN_model");
  EXPECT_EQ(model.base_path(), "/models/din_model");
  EXPECT_EQ(model.model_platform(), "onnx");
  EXPECT_FALSE(model.model_version_policy().has_latest());
  EXPECT_TRUE(ValidateModelServerConfig(*config).ok());
}

TEST(ModelConfigTest, ParsesPoliciesAndLabels) {
  auto config = ParseModelServerConfig(R"(
model_config_list {
  config {
    name: "a" base_path: "/m/a" model_platform: "onnx"
    model_version_policy { specific { versions: 1 versions: 3 } }
    version_labels { key: "stable" value: 1 }
    version_labels { key: "canary" value: 3 }
  }
  config { name: "b" base_path: "/m/b" model_version_policy { latest { num_versions: 2 } } }
  config { name: "c" base_path: "/m/c" model_version_policy { all {} } }
})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_TRUE(ValidateModelServerConfig(*config).ok());
  const auto& list = config->model_config_list().config();
  EXPECT_EQ(list[0].model_version_policy().specific().versions_size(), 2);
  EXPECT_EQ(list[0].version_labels().at("canary"), 3);
  EXPECT_EQ(list[1].model_version_policy().latest().num_versions(), 2u);
  EXPECT_TRUE(list[2].model_version_policy().has_all());
}

TEST(ModelConfigTest, RefusesOtherPlatformsNamingThem) {
  auto config = ParseModelServerConfig(R"(model_config_list { config { name: "m" base_path: "/x"
                                           model_platform: "tensorflow" } })");
  ASSERT_TRUE(config.ok());
  Status status = ValidateModelServerConfig(*config);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("\"tensorflow\""), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("model 'm'"), std::string::npos) << status.message();
}

TEST(ModelConfigTest, SyntaxErrorsNameLineAndColumn) {
  auto config = ParseModelServerConfig("model_config_list { config { nme: \"x\" } }", "models.config");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("models.config"), std::string::npos);
  EXPECT_NE(config.status().message().find("line 1"), std::string::npos) << config.status().message();
  EXPECT_NE(config.status().message().find("nme"), std::string::npos) << config.status().message();
}

TEST(ModelConfigTest, RejectsSemanticErrors) {
  for (const char* text : {
           "model_config_list {}",                                                           // no model
           "model_config_list { config { name: \"\" base_path: \"/x\" } }",                   // empty name
           "model_config_list { config { name: \"a/b\" base_path: \"/x\" } }",                // unsafe name
           "model_config_list { config { name: \"..\" base_path: \"/x\" } }",                 // unsafe name
           "model_config_list { config { name: \"a\" } }",                                   // no base_path
           "model_config_list { config { name: \"a\" base_path: \"/x\" } config { name: \"a\" base_path: \"/y\" } }",
           "model_config_list { config { name: \"a\" base_path: \"/x\" model_version_policy { specific {} } } }",
       }) {
    auto config = ParseModelServerConfig(text);
    ASSERT_TRUE(config.ok()) << text;
    EXPECT_EQ(ValidateModelServerConfig(*config).code(), StatusCode::kInvalidArgument) << text;
  }
}

TEST(VersionPolicyTest, LatestAllSpecific) {
  const std::vector<int64_t> versions{1, 2, 5, 10};
  tensorflow::serving::FileSystemStoragePathSourceConfig::ServableVersionPolicy policy;
  EXPECT_EQ(ApplyVersionPolicy(policy, versions), (std::vector<int64_t>{10}));
  policy.mutable_latest()->set_num_versions(2);
  EXPECT_EQ(ApplyVersionPolicy(policy, versions), (std::vector<int64_t>{5, 10}));
  policy.mutable_latest()->set_num_versions(9);
  EXPECT_EQ(ApplyVersionPolicy(policy, versions), versions);
  policy.mutable_all();
  EXPECT_EQ(ApplyVersionPolicy(policy, versions), versions);
  policy.mutable_specific()->add_versions(2);
  policy.mutable_specific()->add_versions(7);
  EXPECT_EQ(ApplyVersionPolicy(policy, versions), (std::vector<int64_t>{2}));
  EXPECT_TRUE(ApplyVersionPolicy(policy, std::vector<int64_t>{}).empty());
}

TEST(VersionPolicyTest, ParsesVersionNumbersStrictly) {
  EXPECT_EQ(ParseVersionNumber("0"), 0);
  EXPECT_EQ(ParseVersionNumber("123"), 123);
  EXPECT_EQ(ParseVersionNumber("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"", "-1", "+1", "1.0", "1a", "abc", "99999999999999999999", " 1"}) {
    EXPECT_FALSE(ParseVersionNumber(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace reco::serving
