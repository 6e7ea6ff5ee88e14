#include "agent/log.hh"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace imprint {

void setupLogging(Verbosity verbosity)
{
    auto logger = spdlog::stderr_logger_st("imprint");
    logger->set_pattern("imprint: %l: %v");
    switch (verbosity) {
    case Verbosity::Quiet: logger->set_level(spdlog::level::warn); break;
    case Verbosity::Normal: logger->set_level(spdlog::level::info); break;
    case Verbosity::Debug: logger->set_level(spdlog::level::debug); break;
    }
    spdlog::set_default_logger(logger);
}

} // namespace imprint
