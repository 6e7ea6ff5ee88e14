#include "agent/report/log.hh"
#include "agent/system/systemd.hh"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-journal.h>
#include <string>
#include <sys/uio.h>
#include <syslog.h>
#include <vector>

namespace imprint {

void setupLogging(Verbosity verbosity)
{
    std::shared_ptr<spdlog::logger> logger;
    if (stderrIsJournal()) {
        // spdlog's own journal sink: each line with SYSLOG_IDENTIFIER=imprint and its priority.
        logger = std::make_shared<spdlog::logger>("imprint", std::make_shared<spdlog::sinks::systemd_sink_st>("imprint"));
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
    case LogEvent::NotApplied: return "95875f65ead746bbaa0579ce7b29df60";
    }
    return nullptr;
}

void logEvent(LogEvent event, const std::string & source, const std::string & instanceId, const std::string & text)
{
    auto level = event == LogEvent::Failed ? spdlog::level::err
               : event == LogEvent::NotApplied ? spdlog::level::warn
                                               : spdlog::level::info;
    if (!spdlog::should_log(level))
        return;
    if (!stderrIsJournal()) {
        spdlog::log(level, "{}", text);
        return;
    }
    // The few events an operator filters on go to the journal with their fields in one call.
    std::vector<std::string> fields{"MESSAGE=" + text,
                                    "PRIORITY=" + std::to_string(level == spdlog::level::err ? LOG_ERR
                                                                 : level == spdlog::level::warn ? LOG_WARNING
                                                                                                : LOG_INFO),
                                    "SYSLOG_IDENTIFIER=imprint", std::string("MESSAGE_ID=") + messageId(event)};
    if (!source.empty())
        fields.push_back("SOURCE=" + source);
    if (!instanceId.empty())
        fields.push_back("INSTANCE_ID=" + instanceId);
    std::vector<iovec> iov;
    for (auto & f : fields)
        iov.push_back(iovec{f.data(), f.size()});
    // A journal that is gone must not take imprint down with it: the line is lost, nothing else.
    (void) sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

} // namespace imprint
