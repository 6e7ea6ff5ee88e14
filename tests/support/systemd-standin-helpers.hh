#pragma once
// Stand-ins for org.freedesktop.systemd1 and org.freedesktop.hostname1 on the test's private
// bus (PrivateBus), written with sd-bus vtables. The systemd one behaves like the real manager
// where imprint depends on it: StartUnit / StartTransientUnit really run the command, JobNew /
// JobRemoved go only to clients that called Subscribe, units expose Id / ActiveState / SubState /
// Job and the service's Result / ExecMainStatus, TimeoutStartUSec kills the command and ends the
// job with "timeout", AddRef keeps a finished unit until Unref or the client leaves,
// StartTransientUnit of a loaded name fails with UnitExists. Children are reaped and, when the
// stand-in stops, killed by PID.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace imprint::test {

struct StandInOptions
{
    bool systemd = true;
    bool hostnamed = true;
    bool hostnamedDenies = false;     // SetHostname answers org.freedesktop.DBus.Error.AccessDenied
    bool neverRemoveJobs = false;     // a hung manager: the command ends, JobRemoved never comes
    std::map<std::string, std::vector<std::string>> unitFiles;  // for StartUnit: name -> ExecStart argv
    // Runs in the stand-in's thread right after a unit's command started (e.g. to kill the bus).
    std::function<void()> onJobStarted;
};

struct StartedUnit
{
    std::string method;        // "StartUnit" or "StartTransientUnit"
    std::string name;
    std::string mode;
    std::string type;          // Type=
    std::string collectMode;
    std::string description;
    std::string exe;           // ExecStart's path
    std::vector<std::string> argv;  // ExecStart's argv, argv[0] as sent
    std::vector<std::string> environment;
    bool addRef = false;
    std::uint64_t timeoutStartUSec = 0;
    std::string jobPath;
    std::string jobResult;     // empty while the job runs
    std::string result;        // the unit's Result once finished
    int exitStatus = -1;
    std::chrono::steady_clock::time_point started;
    std::chrono::steady_clock::time_point finished;
};

class BusStandIns
{
public:
    // Connects to the system bus (the PrivateBus), owns the names, starts serving.
    explicit BusStandIns(StandInOptions options = {});
    ~BusStandIns();
    BusStandIns(const BusStandIns &) = delete;
    BusStandIns & operator=(const BusStandIns &) = delete;

    std::vector<StartedUnit> units() const;      // every start, in order
    std::vector<std::string> calls() const;      // method names received, in order
    std::vector<std::string> hostnames() const;  // SetHostname arguments, in order
    bool isLoaded(const std::string & unit) const;

    // Polls `pred` until it holds or `timeout` passes.
    bool waitUntil(const std::function<bool()> & pred, std::chrono::milliseconds timeout) const;

    struct Impl;
private:
    std::unique_ptr<Impl> impl_;
};

} // namespace imprint::test
