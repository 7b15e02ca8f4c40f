#include "core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <mutex>

namespace reco {

void InitLogging() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto logger = spdlog::stderr_color_mt("reco");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ %v");
    spdlog::set_default_logger(logger);
    if (const char* env = std::getenv("RECO_LOG_LEVEL")) SetLogLevel(env);
  });
}

bool SetLogLevel(std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") return false;
  spdlog::set_level(lvl);
  return true;
}

}  // namespace reco
