#pragma once
// Logging set-up. Log lines go to stderr (command output goes to stdout). They carry names,
// paths and decisions, never user-data, passwords or tokens.

#include <string>

namespace imprint {

enum class Verbosity { Quiet, Normal, Debug };

// stderr, or the journal (native protocol, SYSLOG_IDENTIFIER=imprint) when stderr is the journal.
void setupLogging(Verbosity verbosity);

// The events an operator filters on, each with a fixed journal MESSAGE_ID (generated once; never
// change them; docs/systemd.md lists them): journalctl MESSAGE_ID=<id>.
enum class LogEvent { Applied, Unchanged, Failed, NewInstance, NotApplied };
const char * messageId(LogEvent event);

// Logs `text` (info; error for Failed) carrying MESSAGE_ID, SOURCE= and INSTANCE_ID= in the
// journal. `source` and `instanceId` may be empty when unknown.
void logEvent(LogEvent event, const std::string & source, const std::string & instanceId, const std::string & text);

} // namespace imprint
