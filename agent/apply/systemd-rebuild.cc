#include "agent/apply/systemd-rebuild.hh"
#include "agent/system/sd-bus.hh"
#include "agent/system/systemd.hh"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <unistd.h>

namespace imprint {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr const char * kSystemd = "org.freedesktop.systemd1";
constexpr const char * kManagerPath = "/org/freedesktop/systemd1";
constexpr const char * kManager = "org.freedesktop.systemd1.Manager";

// A transient unit starts with systemd's clean environment. nixos-rebuild needs the PATH that
// imprint.service was given (nix, git, ...) and, in classic mode, NIX_PATH; nothing else passes.
constexpr const char * kPassedEnvironment[] = {"PATH", "NIX_PATH", "LOCALE_ARCHIVE", "NIX_REMOTE"};

// systemd wants an absolute ExecStart path; resolve a bare name against imprint's PATH, the
// way systemd-run does on the client side.
std::optional<std::string> resolveExecutable(const std::string & name)
{
    if (name.find('/') != std::string::npos)
        return std::filesystem::absolute(name).lexically_normal().string();
    const char * path = std::getenv("PATH");
    std::string dirs = path ? path : "/run/current-system/sw/bin:/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        auto end = dirs.find(':', start);
        if (end == std::string::npos)
            end = dirs.size();
        auto dir = dirs.substr(start, end - start);
        if (!dir.empty()) {
            auto candidate = std::filesystem::path(dir) / name;
            if (::access(candidate.c_str(), X_OK) == 0)
                return candidate.string();
        }
        start = end + 1;
    }
    return std::nullopt;
}

std::string seconds(std::chrono::milliseconds d)
{
    return fmt::format("{:.1f} s", d.count() / 1000.0);
}

// Follows JobRemoved for the whole life of one rebuild: installed before anything is started,
// it records every finished job, so a job that ends before StartTransientUnit's reply is read
// is not missed.
class JobWatch
{
public:
    explicit JobWatch(bus::Bus & bus) : bus_(bus)
    {
        slot_ = bus.matchSignal(kSystemd, kManagerPath, kManager, "JobRemoved", [this](bus::Message & m) {
            std::uint32_t id = 0;
            const char * path = nullptr;
            const char * unit = nullptr;
            const char * result = nullptr;
            if (sd_bus_message_read(m.get(), "uoss", &id, &path, &unit, &result) >= 0 && path && result)
                removed_[path] = result;
        });
        // Without a subscriber the manager does not send job signals at all.
        bus.call(kSystemd, kManagerPath, kManager, "Subscribe");
    }

    // The job's result, or nullopt when `deadline` passed first. Throws when the bus drops.
    std::optional<std::string> wait(const std::string & jobPath, SteadyClock::time_point deadline)
    {
        for (;;) {
            while (bus_.process()) {}
            if (auto it = removed_.find(jobPath); it != removed_.end())
                return it->second;
            auto now = SteadyClock::now();
            if (now >= deadline)
                return std::nullopt;
            bus_.wait(std::chrono::duration_cast<std::chrono::microseconds>(deadline - now));
        }
    }

private:
    bus::Bus & bus_;
    bus::Slot slot_;
    std::map<std::string, std::string> removed_;
};

std::optional<std::string> unitPath(bus::Bus & bus, const std::string & unit)
{
    try {
        auto call = bus.newMethodCall(kSystemd, kManagerPath, kManager, "GetUnit");
        call.append("s", unit.c_str());
        auto reply = bus.call(call);
        const char * path = nullptr;
        reply.read("o", &path);
        return std::string(path);
    } catch (bus::BusError & e) {
        if (e.name() == "org.freedesktop.systemd1.NoSuchUnit")
            return std::nullopt;
        throw;
    }
}

void callWithUnit(bus::Bus & bus, const char * method, const std::string & unit, const char * mode = nullptr)
{
    auto call = bus.newMethodCall(kSystemd, kManagerPath, kManager, method);
    if (mode)
        call.append("ss", unit.c_str(), mode);
    else
        call.append("s", unit.c_str());
    bus.call(call);
}

// One rebuild at a time. imprint's own lock keeps two imprints apart, but `systemctl restart
// imprint` kills imprint and not the rebuild (it is another unit): the new imprint then finds
// the unit still running. It waits for that job (the rebuild then converges on the overlay this
// run committed) and clears a failed leftover, then starts its own.
void waitForPreviousRebuild(bus::Bus & bus, JobWatch & watch, const std::string & unit, SteadyClock::time_point deadline)
{
    auto path = unitPath(bus, unit);
    if (!path)
        return;
    auto job = bus.getProperty(kSystemd, path->c_str(), "org.freedesktop.systemd1.Unit", "Job", "(uo)");
    std::uint32_t jobId = 0;
    const char * jobPath = nullptr;
    job.read("(uo)", &jobId, &jobPath);
    if (jobId != 0) {
        spdlog::info("a previous rebuild ({}, job {}) is still running; waiting for it to finish", unit, jobId);
        notifyStatus("waiting for a previous rebuild to finish");
        std::string previousJob = jobPath;
        auto result = watch.wait(previousJob, deadline);
        if (!result)
            throw Error("a previous rebuild (" + unit + ", job " + std::to_string(jobId)
                + ") is still running; not starting another one");
        spdlog::info("the previous rebuild ended ({}); starting this run's rebuild", *result);
    }
    // A finished transient unit stays loaded until the manager collects it (seconds on systemd
    // 252, seen in the system tests), and StartTransientUnit fails with UnitExists meanwhile:
    // reset a failed one and wait, bounded, for the manager to let go of it.
    const auto collectDeadline = std::min(deadline, SteadyClock::now() + std::chrono::seconds(30));
    for (;;) {
        auto again = unitPath(bus, unit);
        if (!again)
            return;
        // A unit somebody merely asked about (`systemctl status`) is loaded as not-found: that
        // one StartTransientUnit replaces without complaint.
        if (bus.getPropertyString(kSystemd, again->c_str(), "org.freedesktop.systemd1.Unit", "LoadState") != "loaded")
            return;
        auto state = bus.getPropertyString(kSystemd, again->c_str(), "org.freedesktop.systemd1.Unit", "ActiveState");
        if (state == "failed")
            callWithUnit(bus, "ResetFailedUnit", unit);
        else if (state != "inactive")
            return;  // running again or changing state: StartTransientUnit will say so clearly
        if (SteadyClock::now() >= collectDeadline)
            return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

void appendProperty(bus::Message & m, const char * name, const char * type, auto... value)
{
    m.openContainer('r', "sv");
    m.append("s", name);
    m.openContainer('v', type);
    m.append(type, value...);
    m.closeContainer();
    m.closeContainer();
}

} // namespace

std::string rebuildFailureReason(const std::string & jobResult, const std::string & unitResult,
    int execMainCode, int execMainStatus)
{
    if (jobResult == "done" && (unitResult.empty() || unitResult == "success"))
        return "";
    std::string what;
    if (unitResult == "exit-code" && execMainStatus == 203)
        what = "the rebuild command could not be executed (203/EXEC)";
    else if (unitResult == "exit-code")
        what = "the rebuild exited with status " + std::to_string(execMainStatus);
    else if (unitResult == "signal" || unitResult == "core-dump")
        what = "the rebuild was killed by signal " + std::to_string(execMainStatus);
    else if (unitResult == "timeout" || jobResult == "timeout")
        what = "the rebuild did not finish within its timeout (rebuild.timeout_ms) and was stopped";
    else if (unitResult == "oom-kill")
        what = "the rebuild was killed by the OOM killer (evaluating NixOS needs about 1 GB of memory)";
    else if (jobResult == "canceled")
        what = "the rebuild job was canceled";
    else if (jobResult == "dependency" || jobResult == "skipped")
        what = "the rebuild job was not run (" + jobResult + ")";
    else
        what = "the rebuild failed";
    return what + " (job result: " + jobResult + ", unit result: " + (unitResult.empty() ? "unknown" : unitResult) + ")";
}

SystemdRebuilder::SystemdRebuilder(SystemdRebuildOptions options) : options_(std::move(options)) {}

std::string SystemdRebuilder::describe() const
{
    return "as the transient unit " + options_.unit;
}

std::string SystemdRebuilder::startUnit(bus::Bus & bus, const std::vector<std::string> & argv, const std::string & exe)
{
    const auto & unit = options_.unit;
    auto start = bus.newMethodCall(kSystemd, kManagerPath, kManager, "StartTransientUnit");
    start.append("ss", unit.c_str(), "fail");
    start.openContainer('a', "(sv)");
    appendProperty(start, "Description", "s", "imprint: converge the system with the host overlay");
    appendProperty(start, "Type", "s", "oneshot");  // the start job ends when the command does
    appendProperty(start, "AddRef", "b", 1);
    appendProperty(start, "CollectMode", "s", "inactive-or-failed");
    appendProperty(start, "TimeoutStartUSec", "t",
        (std::uint64_t) std::chrono::duration_cast<std::chrono::microseconds>(options_.timeout).count());
    std::vector<std::string> env;
    for (auto name : kPassedEnvironment)
        if (auto v = std::getenv(name))
            env.push_back(std::string(name) + "=" + v);
    start.openContainer('r', "sv");
    start.append("s", "Environment");
    start.openContainer('v', "as");
    start.appendStrings(env);
    start.closeContainer();
    start.closeContainer();
    // ExecStart: (path, argv, ignore-failure); argv[0] stays what the config says.
    start.openContainer('r', "sv");
    start.append("s", "ExecStart");
    start.openContainer('v', "a(sasb)");
    start.openContainer('a', "(sasb)");
    start.openContainer('r', "sasb");
    start.append("s", exe.c_str());
    start.appendStrings(argv);
    start.append("b", 0);
    start.closeContainer();
    start.closeContainer();
    start.closeContainer();
    start.closeContainer();
    start.closeContainer();
    start.append("a(sa(sv))", 0);  // no auxiliary units

    try {
        auto reply = bus.call(start);
        const char * path = nullptr;
        reply.read("o", &path);
        return path;
    } catch (bus::BusError & e) {
        if (e.name() == "org.freedesktop.systemd1.UnitExists")
            e.addContext("another rebuild is in progress (" + unit + " is loaded); not starting a second one");
        throw;
    }
}

RebuildOutcome SystemdRebuilder::rebuild(const std::vector<std::string> & argv)
{
    const auto & unit = options_.unit;
    return withContext("while running the rebuild as " + unit, [&]() -> RebuildOutcome {
        if (argv.empty())
            throw Error("the rebuild command is empty");
        auto exe = resolveExecutable(argv[0]);
        if (!exe)
            return {false, "cannot find " + argv[0] + " in PATH"};

        // Until the job exists nothing has run: a failure here is a failed rebuild (the run flow
        // then puts the previous overlay back and records why), not an unknown state.
        std::optional<bus::Bus> bus;
        std::optional<JobWatch> watch;
        auto waitBound = options_.timeout + options_.slack;
        std::string jobPath;
        try {
            bus.emplace(bus::Bus::openSystem());
            watch.emplace(*bus);
            waitForPreviousRebuild(*bus, *watch, unit, SteadyClock::now() + waitBound);
            jobPath = startUnit(*bus, argv, *exe);
        } catch (Error & e) {
            return {false, std::string("could not start the rebuild unit: ") + e.what()};
        }
        spdlog::info("rebuild started as {} ({}): {}", unit, jobPath, displayArgv(argv));
        // imprint.service is Type=notify and ready from here on: the identity is committed and
        // the live host name set. Were it still starting, every unit ordered after it
        // (sshd.service, systemd-user-sessions.service) that the switch (re)starts would wait for
        // imprint, which waits for the switch: a deadlock until a timeout.
        notifyReady("rebuilding (" + unit + ")");

        std::optional<std::string> jobResult;
        try {
            jobResult = watch->wait(jobPath, SteadyClock::now() + waitBound);
        } catch (bus::BusError & e) {
            e.addContext("lost the system bus while waiting for " + jobPath
                + "; the rebuild may still be running (journalctl -u " + unit + ")");
            throw;
        }
        if (!jobResult) {
            // The manager never reported the end of the job: stop the rebuild rather than leave a
            // switch running behind a run that reports failure and restores the previous overlay.
            try {
                callWithUnit(*bus, "StopUnit", unit, "replace");
            } catch (Error & e) {
                spdlog::warn("could not stop {}: {}", unit, e.what());
            }
            return {false, "systemd did not report the end of " + jobPath + " within " + seconds(waitBound)
                + "; stopped " + unit};
        }

        // The job's result says that it failed; the service's Result says why.
        std::string unitResult;
        int code = 0, status = 0;
        if (auto path = unitPath(*bus, unit)) {
            const char * service = "org.freedesktop.systemd1.Service";
            unitResult = bus->getPropertyString(kSystemd, path->c_str(), service, "Result");
            bus->getProperty(kSystemd, path->c_str(), service, "ExecMainCode", "i").read("i", &code);
            bus->getProperty(kSystemd, path->c_str(), service, "ExecMainStatus", "i").read("i", &status);
            try {
                // Drop our reference (AddRef): systemd may now collect the unit.
                bus->call(kSystemd, path->c_str(), "org.freedesktop.systemd1.Unit", "Unref");
            } catch (bus::BusError & e) {
                spdlog::debug("Unref of {} failed: {}", unit, e.what());
            }
        }
        auto reason = rebuildFailureReason(*jobResult, unitResult, code, status);
        if (reason.empty())
            return {true, ""};
        return {false, reason + "; see journalctl -u " + unit};
    });
}

std::unique_ptr<Rebuilder> makeRebuilder(bool useSystemd, const RebuildConfig & config)
{
    if (useSystemd && systemdBooted())
        return std::make_unique<SystemdRebuilder>(SystemdRebuildOptions{.timeout = config.timeout});
    return std::make_unique<DirectRebuilder>();
}

} // namespace imprint
