#include "tests/support/systemd-standin-internal.hh"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <sys/wait.h>

namespace imprint::test {

// ---- hostname1

static int onSetHostname(sd_bus_message * m, void * userdata, sd_bus_error * error)
{
    auto impl = BusStandIns::Impl::self(userdata);
    const char * name = nullptr;
    int interactive = 0;
    int r = sd_bus_message_read(m, "sb", &name, &interactive);
    if (r < 0)
        return r;
    impl->calls.push_back("SetHostname");
    if (impl->options.hostnamedDenies)
        return sd_bus_error_set(error, "org.freedesktop.DBus.Error.AccessDenied", "Permission denied (stand-in)");
    impl->hostnames.push_back(name);
    impl->hostname = name;
    return sd_bus_reply_method_return(m, "");
}

static int onSetStaticHostname(sd_bus_message * m, void * userdata, sd_bus_error * error)
{
    BusStandIns::Impl::self(userdata)->calls.push_back("SetStaticHostname");
    // NixOS's hostnamed: the static name is declarative.
    return sd_bus_error_set(error, "org.freedesktop.DBus.Error.NotSupported",
        "Changing system settings via systemd is not supported on NixOS.");
}

static int getHostname(sd_bus *, const char *, const char *, const char *, sd_bus_message * reply, void * userdata, sd_bus_error *)
{
    return sd_bus_message_append(reply, "s", BusStandIns::Impl::self(userdata)->hostname.c_str());
}

static const sd_bus_vtable hostnameVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Hostname", "s", getHostname, 0, 0),
    SD_BUS_METHOD("SetHostname", "sb", "", onSetHostname, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("SetStaticHostname", "sb", "", onSetStaticHostname, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

// ---- the loop

void BusStandIns::Impl::finish(Unit & u, std::string jobResult)
{
    auto & rec = records[u.record];
    rec.jobResult = jobResult;
    rec.result = u.result;
    rec.exitStatus = u.execMainStatus;
    rec.finished = Clock::now();
    u.pid = -1;
    u.activeState = u.result == "success" ? "inactive" : "failed";
    u.subState = u.result == "success" ? "dead" : "failed";
    if (options.neverRemoveJobs)
        return;
    auto id = u.jobId;
    auto path = u.jobPath;
    u.jobId = 0;
    if (!broken && sd_bus_track_count(subscribers) > 0)
        sd_bus_emit_signal(bus, kManagerPath, kManagerInterface, "JobRemoved", "uoss", id, path.c_str(), u.name.c_str(), jobResult.c_str());
}

void BusStandIns::Impl::collect(const std::string & name)
{
    auto it = loaded.find(name);
    if (it == loaded.end())
        return;
    auto & u = *it->second;
    if (u.pid > 0 || u.jobId)
        return;
    if (u.refs && sd_bus_track_count(u.refs) > 0)
        return;
    if (u.activeState == "failed" && u.collectMode != "inactive-or-failed")
        return;
    sd_bus_track_unref(u.refs);
    loaded.erase(it);
}

void BusStandIns::Impl::reap()
{
    auto now = Clock::now();
    std::vector<std::string> names;
    for (auto & [name, u] : loaded) {
        names.push_back(name);
        if (u->pid <= 0)
            continue;
        if (u->timeoutUSec && !u->timedOut && now >= u->deadline) {
            u->timedOut = true;
            ::kill(u->pid, SIGTERM);
        }
        int status = 0;
        if (waitpid(u->pid, &status, WNOHANG) != u->pid)
            continue;
        std::string job = "done";
        if (WIFEXITED(status)) {
            u->execMainCode = CLD_EXITED;
            u->execMainStatus = WEXITSTATUS(status);
            u->result = u->execMainStatus == 0 ? "success" : "exit-code";
        } else {
            u->execMainCode = CLD_KILLED;
            u->execMainStatus = WTERMSIG(status);
            u->result = "signal";
        }
        if (u->timedOut) {
            u->result = "timeout";
            job = "timeout";
        } else if (u->stopped) {
            job = "canceled";
        } else if (u->result != "success") {
            job = "failed";
        }
        finish(*u, job);
    }
    for (auto & n : names)
        collect(n);
}

void BusStandIns::Impl::loop()
{
    while (!stop) {
        {
            std::lock_guard lock(mutex);
            if (!broken) {
                int r;
                while ((r = sd_bus_process(bus, nullptr)) > 0) {}
                if (r < 0)
                    broken = true;  // the daemon went away (a test killed it on purpose)
                sd_bus_flush(bus);
            }
            if (startedHookDue) {
                startedHookDue = false;
                options.onJobStarted();
            }
            reap();
        }
        if (broken)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        else
            sd_bus_wait(bus, 10'000);
    }
}

BusStandIns::BusStandIns(StandInOptions options) : impl_(std::make_unique<Impl>())
{
    auto & i = *impl_;
    i.options = std::move(options);
    auto fail = [&](const char * what, int r) {
        throw std::runtime_error(std::string("stand-ins: ") + what + ": " + strerror(-r));
    };
    int r = sd_bus_open_system(&i.bus);
    if (r < 0)
        fail("opening the bus", r);
    sd_bus_track_new(i.bus, &i.subscribers, nullptr, nullptr);
    auto add = [&](const char * path, const char * iface, const sd_bus_vtable * vt, bool fallback) {
        sd_bus_slot * slot = nullptr;
        int r = fallback ? sd_bus_add_fallback_vtable(i.bus, &slot, path, iface, vt, findUnit, &i)
                         : sd_bus_add_object_vtable(i.bus, &slot, path, iface, vt, &i);
        if (r < 0)
            fail(iface, r);
        i.slots.push_back(slot);
    };
    if (i.options.systemd) {
        add(kManagerPath, kManagerInterface, managerVtable, false);
        add(kUnitPrefix, "org.freedesktop.systemd1.Unit", unitVtable, true);
        add(kUnitPrefix, "org.freedesktop.systemd1.Service", serviceVtable, true);
        if ((r = sd_bus_request_name(i.bus, "org.freedesktop.systemd1", 0)) < 0)
            fail("owning org.freedesktop.systemd1", r);
    }
    if (i.options.hostnamed) {
        add("/org/freedesktop/hostname1", "org.freedesktop.hostname1", hostnameVtable, false);
        if ((r = sd_bus_request_name(i.bus, "org.freedesktop.hostname1", 0)) < 0)
            fail("owning org.freedesktop.hostname1", r);
    }
    i.thread = std::thread([&i] { i.loop(); });
}

BusStandIns::~BusStandIns()
{
    auto & i = *impl_;
    i.stop = true;
    if (i.thread.joinable())
        i.thread.join();
    for (auto & [name, u] : i.loaded) {
        if (u->pid > 0) {
            ::kill(u->pid, SIGKILL);
            int status;
            waitpid(u->pid, &status, 0);
        }
        sd_bus_track_unref(u->refs);
    }
    i.loaded.clear();
    for (auto s : i.slots)
        sd_bus_slot_unref(s);
    sd_bus_track_unref(i.subscribers);
    sd_bus_flush_close_unref(i.bus);
}

std::vector<StartedUnit> BusStandIns::units() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->records;
}

std::vector<std::string> BusStandIns::calls() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->calls;
}

std::vector<std::string> BusStandIns::hostnames() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->hostnames;
}

bool BusStandIns::isLoaded(const std::string & unit) const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->loaded.count(unit) > 0;
}

bool BusStandIns::waitUntil(const std::function<bool()> & pred, std::chrono::milliseconds timeout) const
{
    auto end = Clock::now() + timeout;
    while (!pred()) {
        if (Clock::now() >= end)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

} // namespace imprint::test
