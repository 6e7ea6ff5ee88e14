#pragma once
// What imprint remembers between runs (/var/lib/imprint/state.json, mode 0600), the commit of a
// run's files, and the lock that keeps runs one at a time.

#include "agent/system/clock.hh"
#include "agent/cli/config.hh"
#include "agent/system/disk-interface.hh"
#include "agent/system/host.hh"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace imprint {

inline constexpr int kStateVersion = 1;

struct State
{
    int version = kStateVersion;
    std::string instanceId;
    std::string source;
    std::string committedOverlaySha256;  // the overlay on disk after the last commit
    std::string appliedOverlaySha256;    // the overlay of the last successful rebuild
    std::string result;                  // applied | committed | unchanged | failed
    std::string reason;                  // why it failed, or what was skipped
    std::string time;                    // RFC 3339, UTC
    std::string lastSuccessTime;
    // What the overlay asked for and the rebuilt system does not have (a definition of higher
    // priority won), one sentence each, as the system's own evaluation said it.
    std::vector<std::string> notApplied;
};

nlohmann::json toJson(const State & s);

// nullopt when there is no state yet. A state from a newer version of imprint, or one that is not
// valid JSON, is reported in `warning` and treated as absent (the next commit replaces it).
std::optional<State> loadState(DiskInterface & disk, const std::filesystem::path & path, std::string & warning);

// The files of one run, committed in an order that keeps each file old-or-new on a crash:
// instance JSON, raw user-data, the previous overlay, the overlay, then state last.
struct CommitFiles
{
    std::string overlay;
    std::string instanceJson;
    std::optional<std::string> userData;  // written 0600
    State state;
};

class Committer
{
public:
    Committer(DiskInterface & ops, const Host & host, const Config & config) : ops_(ops), host_(host), config_(config) {}

    void commit(const CommitFiles & files);
    // Puts the overlay that was in place before the last commit back (or removes the overlay
    // when there was none), so the next rebuild does not repeat a failure.
    void restorePrevious();
    void writeState(const State & state);

    std::filesystem::path overlayPath() const { return host_.path(config_.overlayPath); }
    std::filesystem::path previousPath() const { return host_.path(config_.previousOverlayPath().string()); }

private:
    DiskInterface & ops_;
    const Host & host_;
    const Config & config_;
    bool changedOverlay_ = false;
};

// flock(2) on /run/imprint/lock: held for the whole run. Waits at most config.lockTimeout.
class RunLock
{
public:
    RunLock(DiskInterface & disk, const std::filesystem::path & path, std::chrono::milliseconds timeout, Clock & clock);

private:
    std::optional<FileLock> lock_;
};

std::string rfc3339(std::chrono::system_clock::time_point t);

} // namespace imprint
