// Runs the built `reco` binaries from tests and captures exit code, stdout and stderr separately.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "testutil/idx_writer.h"

namespace reco::testutil {

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
  int ErrLines() const {
    int n = 0;
    for (char c : err) n += c == '\n';
    return n;
  }
};

inline std::string BinDir() {
  const char* dir = std::getenv("RECO_BIN_DIR");
  return dir ? dir : "build/bin";
}

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `args` is appended to the binary path as shell words (callers quote what needs quoting).
inline CommandResult RunBinary(const std::string& binary, const std::string& args) {
  TempDir tmp("reco-cli-run");
  const std::string cmd = BinDir() + "/" + binary + " " + args + " >" + tmp.file("out") + " 2>" + tmp.file("err") +
                          " </dev/null";
  const int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Slurp(tmp.file("out"));
  r.err = Slurp(tmp.file("err"));
  return r;
}

}  // namespace reco::testutil
