// Subcommand registry for the `reco` CLI.
//
// Each subcommand lives in its own cmd_<name>.cc and registers itself with RECO_REGISTER_COMMAND; the CLI's
// CMakeLists globs cmd_*.cc into the executable, so adding a command never touches main.cc.
// A command's Setup adds its options to the CLI11 subcommand and returns the function that runs it.
// Run functions return a Status; main prints a non-OK Status as one line on stderr and exits non-zero.
#pragma once

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
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

// CLI11's PositiveNumber / NonNegativeNumber print their range as "0.000000 to 1797693134862315708145..." and let
// NaN through; these say what is wanted in words and reject anything that is not a finite number.
inline CLI::Validator NumberAbove(double floor, bool inclusive, std::string name) {
  return CLI::Validator(
      [floor, inclusive](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        const bool number = !text.empty() && end != nullptr && *end == '\0' && std::isfinite(v);
        if (!number || (inclusive ? v < floor : v <= floor)) {
          return "must be a number " + std::string(inclusive ? ">= " : "> ") + (floor == 0 ? "0" : std::to_string(floor)) +
                 ", got '" + text + "'";
        }
        return std::string();
      },
      std::move(name));
}
inline const CLI::Validator kPositive = NumberAbove(0, /*inclusive=*/false, "POSITIVE");
inline const CLI::Validator kNonNegative = NumberAbove(0, /*inclusive=*/true, "NONNEGATIVE");

}  // namespace reco::cli

#define RECO_REGISTER_COMMAND(ident, ...) \
  static ::reco::cli::CommandRegistrar reco_command_registrar_##ident(::reco::cli::CommandSpec{__VA_ARGS__})
