// Hot reload through the fake filesystem: each PollFileSystem() is one round of the Source, so the tests step
// through version changes deterministically, with no sleeps.
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "serving/model_config.h"
#include "serving/server_core.h"
#include "testutil/fake_file_system.h"
#include "testutil/fake_servable.h"

namespace reco::serving {
namespace {

using testutil::FakeFileSystem;
using testutil::FakeLoaderFactory;
using testutil::LiveFakeServables;

class ManagerTest : public ::testing::Test {
 protected:
  ManagerTest() : loaders_(&fs_), core_(&fs_, &loaders_) {}

  void AddVersion(int64_t v, const std::string& contents = "ok") {
    fs_.WriteFile("/models/m/" + std::to_string(v) + "/model.onnx", contents);
  }
  int64_t ServingVersion() {
    auto handle = core_.manager().GetHandle("m", {});
    return handle.ok() ? handle->version() : -1;
  }
  VersionStatus StatusOf(int64_t v) {
    auto status = core_.manager().GetStatus("m", v);
    return status.ok() ? status->at(0) : VersionStatus{v, VersionState::kUnknown, status.status()};
  }

  FakeFileSystem fs_;
  FakeLoaderFactory loaders_;
  ServerCore core_;
};

TEST_F(ManagerTest, NewBrokenAndDeletedVersions) {
  AddVersion(1);
  ASSERT_TRUE(core_.ReloadConfig(SingleModelConfig("m", "/models/m")).ok());
  EXPECT_EQ(ServingVersion(), 1);

  // A request holds version 1 while version 2 arrives: 2 serves new requests, 1 stays alive for the holder.
  auto held = core_.manager().GetHandle("m", {});
  ASSERT_TRUE(held.ok());
  AddVersion(2);
  core_.PollFileSystem();
  EXPECT_EQ(ServingVersion(), 2);
  EXPECT_EQ(StatusOf(1).state, VersionState::kEnd);
  EXPECT_EQ(StatusOf(2).state, VersionState::kAvailable);
  EXPECT_EQ(LiveFakeServables(), 2);  // v1 still referenced by `held`
  EXPECT_EQ((*held)->inputs()[0].name, "user_input");
  *held = ServableHandle();
  EXPECT_EQ(LiveFakeServables(), 1);  // freed when the last handle went away

  // A broken version 3 never takes down version 2; its error is in the status.
  AddVersion(3, "broken");
  core_.PollFileSystem();
  EXPECT_EQ(ServingVersion(), 2);
  EXPECT_EQ(StatusOf(3).state, VersionState::kEnd);
  EXPECT_EQ(StatusOf(3).error.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(StatusOf(3).error.message().find("not a valid ONNX model"), std::string::npos);
  const int loads = loaders_.created();
  core_.PollFileSystem();  // the broken version is not retried every poll
  EXPECT_EQ(loaders_.created(), loads);

  // Deleting version 2 falls back to version 1 (still on disk), loaded before 2 is unloaded.
  fs_.Remove("/models/m/2");
  core_.PollFileSystem();
  EXPECT_EQ(ServingVersion(), 1);
  EXPECT_EQ(LiveFakeServables(), 1);

  // A fixed version 4 takes over.
  AddVersion(4);
  core_.PollFileSystem();
  EXPECT_EQ(ServingVersion(), 4);
  EXPECT_EQ(LiveFakeServables(), 1);
}

TEST_F(ManagerTest, NeverDropsToZeroVersions) {
  AddVersion(1);
  ASSERT_TRUE(core_.ReloadConfig(SingleModelConfig("m", "/models/m")).ok());
  fs_.Remove("/models/m");  // the whole folder disappears (e.g. a botched rsync)
  core_.PollFileSystem();
  EXPECT_EQ(ServingVersion(), 1);
}

// A configured model with no version folder yet: NOT_FOUND for status and for a request (TF Serving's codes:
// "Could not find any versions of model", "Servable not found for request: Latest(m)").
TEST_F(ManagerTest, ModelWithoutVersionsIsNotFound) {
  fs_.WriteFile("/models/m/README", "versions go in numbered folders");
  // The reload says the new model is not serving (TF Serving's reload reports it too), and installs the config.
  const Status reload = core_.ReloadConfig(SingleModelConfig("m", "/models/m"));
  EXPECT_EQ(reload.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(reload.message().find("model 'm' has no available version"), std::string::npos) << reload.ToString();
  auto status = core_.manager().GetStatus("m", std::nullopt);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().code(), StatusCode::kNotFound);
  auto handle = core_.manager().GetHandle("m", {});
  ASSERT_FALSE(handle.ok());
  EXPECT_EQ(handle.status().code(), StatusCode::kNotFound);
  EXPECT_NE(handle.status().message().find("Latest(m)"), std::string::npos) << handle.status().message();
  AddVersion(3);
  core_.PollFileSystem();
  EXPECT_EQ(ServingVersion(), 3);
}

// A version that failed to load (caught half-copied) is retried on later polls, up to max_retries times.
TEST_F(ManagerTest, FailedLoadsAreRetriedUpToTheLimit) {
  std::map<int64_t, int> attempts;
  core_.set_manager_observer({.on_load = [&](const std::string&, int64_t v, const Status&, double) { ++attempts[v]; },
                              .on_loaded_versions = nullptr});
  core_.set_load_retry_policy({.max_retries = 2, .interval = std::chrono::microseconds(0)});
  AddVersion(1);
  AddVersion(2, "broken");
  ASSERT_TRUE(core_.ReloadConfig(SingleModelConfig("m", "/models/m")).ok());
  EXPECT_EQ(ServingVersion(), 1);
  EXPECT_EQ(StatusOf(2).state, VersionState::kEnd);
  AddVersion(2, "ok");  // the copy completes
  core_.PollFileSystem();
  EXPECT_EQ(ServingVersion(), 2);
  EXPECT_EQ(attempts[2], 2);

  AddVersion(3, "broken");  // stays broken: 1 attempt + 2 retries, then no more
  for (int i = 0; i < 6; ++i) core_.PollFileSystem();
  EXPECT_EQ(attempts[3], 3);
  EXPECT_EQ(ServingVersion(), 2);
  EXPECT_FALSE(StatusOf(3).error.ok());
}

// A reload whose version label points at a version that is not available says so (TF Serving refuses it too).
TEST_F(ManagerTest, ReloadReportsLabelsOfUnavailableVersions) {
  AddVersion(6);
  auto config = ParseModelServerConfig(R"(model_config_list { config { name: "m" base_path: "/models/m"
      model_platform: "onnx" version_labels { key: "stable" value: 42 } } })");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const Status reload = core_.ReloadConfig(*config);
  EXPECT_EQ(reload.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(reload.message().find("label 'stable' of model 'm' points at version 42"), std::string::npos)
      << reload.ToString();
  EXPECT_EQ(ServingVersion(), 6);  // the model itself serves
}

TEST_F(ManagerTest, PoliciesAndLabels) {
  for (int v : {1, 2, 3}) AddVersion(v);
  auto config = ParseModelServerConfig(R"(model_config_list { config { name: "m" base_path: "/models/m"
      model_platform: "onnx" model_version_policy { specific { versions: 1 versions: 3 } }
      version_labels { key: "stable" value: 1 } version_labels { key: "canary" value: 3 } } })");
  ASSERT_TRUE(config.ok());
  ASSERT_TRUE(core_.ReloadConfig(*config).ok());
  const ServableManager& manager = core_.manager();
  EXPECT_EQ(manager.GetHandle("m", {.version = 1})->version(), 1);
  EXPECT_EQ(manager.GetHandle("m", {.version = 2}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(manager.GetHandle("m", {.label = "stable"})->version(), 1);
  EXPECT_EQ(manager.GetHandle("m", {.label = "canary"})->version(), 3);
  EXPECT_EQ(manager.GetHandle("m", {.label = "nope"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(manager.GetHandle("other", {}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ServingVersion(), 3);
}

TEST_F(ManagerTest, ConfigFileIsPolledAndBadConfigsKeepTheOldOne) {
  AddVersion(1);
  fs_.WriteFile("/models/b/7/model.onnx", "ok");
  fs_.WriteFile("/etc/models.config", R"(model_config_list { config { name: "m" base_path: "/models/m" } })");
  ASSERT_TRUE(core_.LoadConfigFile("/etc/models.config").ok());
  EXPECT_EQ(core_.manager().ListModels(), std::vector<std::string>{"m"});

  fs_.WriteFile("/etc/models.config", R"(model_config_list { config { name: "b" base_path: "/models/b" } })");
  core_.PollConfigFile();
  EXPECT_EQ(core_.manager().ListModels(), std::vector<std::string>{"b"});
  EXPECT_EQ(core_.manager().GetHandle("b", {})->version(), 7);

  fs_.WriteFile("/etc/models.config", "model_config_list { config { name: \"b\" model_platform: \"pytorch\" } }");
  core_.PollConfigFile();
  EXPECT_EQ(core_.manager().ListModels(), std::vector<std::string>{"b"});
  EXPECT_EQ(core_.ReloadConfig(tensorflow::serving::ModelServerConfig()).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace reco::serving
