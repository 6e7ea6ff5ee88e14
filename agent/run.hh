#pragma once
// The commands behind the command line, and the one-way flow of a run:
// detect -> fetch -> normalize -> render -> commit -> apply -> report.

#include "agent/system/clock.hh"
#include "agent/cli/config.hh"
#include "agent/detect/detect.hh"
#include "agent/system/disk-interface.hh"
#include "agent/system/host.hh"
#include "agent/apply/hostname.hh"
#include "agent/fetch/mount.hh"
#include "agent/normalize/normalize.hh"
#include "agent/apply/rebuild.hh"
#include "agent/render/render.hh"

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace imprint {

class HttpClient;

// Everything a command needs, built once by main.cc. Side effects are reached only through
// the interfaces held here.
struct Runtime
{
    const Host & host;
    const Config & config;
    std::optional<SourceSpec> source;      // --source
    std::optional<std::string> endpoint;   // --endpoint
    DiskInterface & disk;
    Clock & clock;
    Mounter & mounter;
    Rebuilder & rebuilder;
    HostnameSetter * hostname = nullptr;   // nullptr: leave the live host name alone
    HttpClient * http = nullptr;           // nullptr: no network sources
};

// The chosen source: --source, or detection. Throws NoSourceError when nothing matches.
Detection chooseSource(const Runtime & rt);

struct Fetched
{
    Detection detection;
    SourceData data;
    Normalized normalized;
};
Fetched fetchAndNormalize(const Runtime & rt);

RenderOptions renderOptionsFor(const Config & config);

struct RunOptions
{
    bool dryRun = false;
    bool noRebuild = false;
    bool force = false;
};

// How a run ended (a failure is an exception, not a result).
enum class RunResult { Applied, Committed, Unchanged, DryRun };
const char * resultName(RunResult result);  // "applied", "committed", "unchanged", "dry-run"

struct RunReport
{
    RunResult result = RunResult::DryRun;
    const Provider * provider = nullptr;  // the source that was read
    std::string source;
    std::string signal;
    std::string instanceId;
    bool newInstance = false;
    std::string previousInstanceId;
    std::vector<std::string> plan;
    std::string reason;
    nlohmann::json toJson() const;
};

RunReport runImprint(const Runtime & rt, const RunOptions & options);

} // namespace imprint
