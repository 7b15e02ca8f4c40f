// Subcommand registry for the `reco` CLI.
//
// Each subcommand lives in its own cmd_<name>.cc and registers itself with RECO_REGISTER_COMMAND; the CLI's
// CMakeLists globs cmd_*.cc into the executable, so adding a command never touches main.cc.
// A command's Setup adds its options to the CLI11 subcommand and returns the function that runs it.
// Run functions return a Status; main prints a non-OK Status as one line on stderr and exits non-zero.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace reco::cli {

using RunFn = std::function<Status()>;
using SetupFn = std::function<RunFn(CLI::App& sub)>;

struct CommandSpec {
  std::string name;
  std::string description;
  SetupFn setup;
  int order = 100;  // position in --help
};

std::vector<CommandSpec>& CommandRegistry();

struct CommandRegistrar {
  explicit CommandRegistrar(CommandSpec spec) { CommandRegistry().push_back(std::move(spec)); }
};

}  // namespace reco::cli

#define RECO_REGISTER_COMMAND(ident, ...) \
  static ::reco::cli::CommandRegistrar reco_command_registrar_##ident(::reco::cli::CommandSpec{__VA_ARGS__})
