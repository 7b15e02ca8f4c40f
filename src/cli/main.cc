// `reco`: the command-line front end. Subcommands register themselves (see command.h).
#include <algorithm>
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "core/logging.h"

namespace reco::cli {

std::vector<CommandSpec>& CommandRegistry() {
  static std::vector<CommandSpec> registry;
  return registry;
}

}  // namespace reco::cli

int main(int argc, char** argv) {
  reco::InitLogging();
  CLI::App app{"reco: train recommendation and classification models, export them to ONNX, run and serve them"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "reco 0.1.0\n");
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")->capture_default_str();

  auto& registry = reco::cli::CommandRegistry();
  std::stable_sort(registry.begin(), registry.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  reco::cli::RunFn selected;
  std::vector<std::pair<CLI::App*, reco::cli::RunFn>> runs;
  for (auto& spec : registry) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.description);
    runs.emplace_back(sub, spec.setup(*sub));
  }
  // CLI11 reports an unknown subcommand as a missing one; name it instead.
  const bool known = argc > 1 && std::any_of(registry.begin(), registry.end(),
                                              [&](const auto& spec) { return spec.name == argv[1]; });
  if (argc > 1 && argv[1][0] != '-' && !known) {
    std::string names;
    for (const auto& spec : registry) names += (names.empty() ? "" : ", ") + spec.name;
    std::fprintf(stderr, "reco: unknown command '%s' (commands: %s)\n", argv[1], names.c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help/--version exit 0 with their text; real parse errors print one line and exit 2.
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "reco: %s\n", e.what());
    std::fprintf(stderr, "Run 'reco --help' or 'reco <command> --help' for usage.\n");
    return 2;
  }
  if (!reco::SetLogLevel(log_level)) {
    std::fprintf(stderr, "reco: unknown --log-level '%s'\n", log_level.c_str());
    return 2;
  }
  for (auto& [sub, run] : runs) {
    if (!sub->parsed()) continue;
    reco::Status status;
    try {
      status = run();
    } catch (const std::exception& e) {
      // Boundaries convert errors to Status; this is the last line of defence, never a crash.
      status = reco::InternalError(e.what());
    }
    if (!status.ok()) {
      std::fprintf(stderr, "reco %s: error: %s\n", sub->get_name().c_str(), status.message().c_str());
      return 1;
    }
    return 0;
  }
  return 2;
}
