// Logging: a thin layer over spdlog so that the rest of reco names one place for log setup.
// Thread-safety: all functions are safe to call from any thread.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace reco {

// Sets the global level from a name ("trace", "debug", "info", "warn", "error", "off"); returns false if unknown.
bool SetLogLevel(std::string_view level);

// Log lines go to stderr, so stdout stays clean for results (JSON, predictions) that scripts parse.
void InitLogging();

}  // namespace reco

#define RECO_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define RECO_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define RECO_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define RECO_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)
