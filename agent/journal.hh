#pragma once
// The journal side of logging: a spdlog sink that speaks the native journal protocol, so each
// line carries SYSLOG_IDENTIFIER=imprint and a priority, and the few events an operator filters
// on carry a fixed MESSAGE_ID and the fields SOURCE= and INSTANCE_ID= (journalctl
// MESSAGE_ID=... / journalctl SOURCE=ec2). Used when stderr is the journal (run by systemd).

#include <spdlog/sinks/base_sink.h>

#include <mutex>
#include <string>

namespace imprint {

// Structured fields of the event being logged on this thread (set by logEvent in log.cc).
struct JournalFields
{
    const char * messageId = nullptr;
    std::string source;
    std::string instanceId;
};

// The fields for the next log line on this thread; nullptr clears them.
void setJournalFields(const JournalFields * fields);

class JournalSink : public spdlog::sinks::base_sink<std::mutex>
{
protected:
    void sink_it_(const spdlog::details::log_msg & msg) override;
    void flush_() override {}
};

} // namespace imprint
