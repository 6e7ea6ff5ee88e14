#include "agent/log.hh"
#include "agent/journal.hh"
#include "agent/systemd.hh"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace imprint {

void setupLogging(Verbosity verbosity)
{
    std::shared_ptr<spdlog::logger> logger;
    if (stderrIsJournal()) {
        logger = std::make_shared<spdlog::logger>("imprint", std::make_shared<JournalSink>());
    } else {
        logger = spdlog::stderr_logger_st("imprint");
        logger->set_pattern("imprint: %l: %v");
    }
    switch (verbosity) {
    case Verbosity::Quiet: logger->set_level(spdlog::level::warn); break;
    case Verbosity::Normal: logger->set_level(spdlog::level::info); break;
    case Verbosity::Debug: logger->set_level(spdlog::level::debug); break;
    }
    spdlog::set_default_logger(logger);
}

const char * messageId(LogEvent event)
{
    switch (event) {
    case LogEvent::Applied: return "33344dcaf62d4bcc9697b594414ad09a";
    case LogEvent::Unchanged: return "e16fbcc1b76b4bbb907bb9b3663390b5";
    case LogEvent::Failed: return "12d2af151f6d42cdbd888baedf4a6d95";
    case LogEvent::NewInstance: return "7d0ce6a5aec0420a9f3fed5830c1bbe6";
    }
    return nullptr;
}

void logEvent(LogEvent event, const std::string & source, const std::string & instanceId, const std::string & text)
{
    JournalFields fields{messageId(event), source, instanceId};
    setJournalFields(&fields);
    try {
        if (event == LogEvent::Failed)
            spdlog::error("{}", text);
        else
            spdlog::info("{}", text);
    } catch (...) {
        setJournalFields(nullptr);
        throw;
    }
    setJournalFields(nullptr);
}

} // namespace imprint
