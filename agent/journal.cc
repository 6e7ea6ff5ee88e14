#include "agent/journal.hh"

#include <systemd/sd-journal.h>

#include <string>
#include <sys/uio.h>
#include <syslog.h>
#include <vector>

namespace imprint {

namespace {

thread_local const JournalFields * currentFields = nullptr;

int priorityOf(spdlog::level::level_enum level)
{
    switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return LOG_DEBUG;
    case spdlog::level::info: return LOG_INFO;
    case spdlog::level::warn: return LOG_WARNING;
    case spdlog::level::err: return LOG_ERR;
    case spdlog::level::critical: return LOG_CRIT;
    default: return LOG_INFO;
    }
}

} // namespace

void setJournalFields(const JournalFields * fields)
{
    currentFields = fields;
}

void JournalSink::sink_it_(const spdlog::details::log_msg & msg)
{
    std::vector<std::string> fields;
    fields.push_back("MESSAGE=" + std::string(msg.payload.data(), msg.payload.size()));
    fields.push_back("PRIORITY=" + std::to_string(priorityOf(msg.level)));
    fields.push_back("SYSLOG_IDENTIFIER=imprint");
    if (auto f = currentFields) {
        if (f->messageId)
            fields.push_back(std::string("MESSAGE_ID=") + f->messageId);
        if (!f->source.empty())
            fields.push_back("SOURCE=" + f->source);
        if (!f->instanceId.empty())
            fields.push_back("INSTANCE_ID=" + f->instanceId);
    }
    std::vector<iovec> iov;
    for (auto & s : fields)
        iov.push_back(iovec{s.data(), s.size()});
    // A journal that is gone must not take imprint down with it: the line is lost, nothing else.
    (void) sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

} // namespace imprint
