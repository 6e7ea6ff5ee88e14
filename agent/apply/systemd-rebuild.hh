#pragma once
// The rebuild as a unit of its own, so that `nixos-rebuild switch` can restart anything (imprint
// included) without killing itself, and its output lands in the journal under its own name.
//
// Why a transient unit (StartTransientUnit) and not a unit file started with StartUnit:
// - the command line comes from config (rebuild.command, action, flake#attribute, offline
//   options) and may change from one run to the next; a transient unit carries exactly the argv
//   rebuildArgv() built, with no second reading of the config and no helper subcommand;
// - it survives the switch it performs by construction: switch-to-configuration only stops or
//   restarts units that have a file under /etc/systemd/system, and a transient unit has none
//   (nixos-rebuild runs switch-to-configuration itself in a transient unit for that reason); a
//   unit file would need restartIfChanged = false and X-StopOnRemoval = false from the module;
// - a fixed unit name is a lock systemd holds for us: while one rebuild is loaded, another
//   StartTransientUnit of the same name fails with UnitExists, even across `systemctl restart
//   imprint` (the rebuild is not in imprint.service's cgroup and keeps running).
//
// The wait follows systemd's own algorithm (systemctl, systemd-run --wait): subscribe to
// JobRemoved and call Subscribe BEFORE starting, remember the job path StartTransientUnit returns,
// wait for JobRemoved of that path, map its result, then read the unit's Result for the reason.
// AddRef=yes keeps the finished unit loaded until imprint has read it (or disconnects);
// CollectMode=inactive-or-failed then lets systemd drop it, failed or not.

#include "agent/apply/rebuild.hh"

#include <chrono>
#include <memory>
#include <string>

namespace imprint {

namespace bus { class Bus; }

struct SystemdRebuildOptions
{
    std::string unit = "imprint-rebuild.service";
    // The unit's TimeoutStartSec: systemd stops the rebuild after this and the job ends "timeout".
    std::chrono::milliseconds timeout{std::chrono::hours(1)};
    // How much longer imprint waits for JobRemoved before it decides the manager is not answering.
    std::chrono::milliseconds slack{std::chrono::seconds(30)};
};

class SystemdRebuilder : public Rebuilder
{
public:
    explicit SystemdRebuilder(SystemdRebuildOptions options = {});
    std::string describe() const override;
    // A unit that ran and failed is a RebuildOutcome with ok = false and the reason; a bus that
    // drops, a manager that never answers, or a unit that cannot be started throws Error.
    RebuildOutcome rebuild(const std::vector<std::string> & argv) override;

private:
    // StartTransientUnit; the job path.
    std::string startUnit(bus::Bus & bus, const std::vector<std::string> & argv, const std::string & exe);
    SystemdRebuildOptions options_;
};

// SystemdRebuilder when PID 1 is systemd and `useSystemd`, DirectRebuilder otherwise.
std::unique_ptr<Rebuilder> makeRebuilder(bool useSystemd, const RebuildConfig & config);

// The reason a finished rebuild job gives, from the job result ("done", "failed", "timeout",
// "canceled", "dependency", "skipped") and the service's Result / ExecMainCode / ExecMainStatus.
// Empty when the rebuild succeeded.
std::string rebuildFailureReason(const std::string & jobResult, const std::string & unitResult,
    int execMainCode, int execMainStatus);

} // namespace imprint
