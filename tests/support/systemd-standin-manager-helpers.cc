// The org.freedesktop.systemd1 half of the bus stand-ins: the manager's methods (Subscribe,
// GetUnit, StartUnit, StartTransientUnit, StopUnit, ResetFailedUnit, Unref) and the unit objects
// with their properties (systemd-standin-helpers.hh says what they imitate).
#include "tests/support/systemd-standin-internal.hh"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <spawn.h>
#include <sys/wait.h>

namespace imprint::test {

// ---- systemd1 manager

static int onSubscribe(sd_bus_message * m, void * userdata, sd_bus_error *)
{
    auto impl = BusStandIns::Impl::self(userdata);
    impl->calls.push_back("Subscribe");
    int r = sd_bus_track_add_sender(impl->subscribers, m);
    if (r < 0)
        return r;
    return sd_bus_reply_method_return(m, "");
}

// The loaded unit `name`, or nullptr with systemd's NoSuchUnit error set in `error`.
static Unit * loadedUnit(BusStandIns::Impl * impl, const char * name, sd_bus_error * error)
{
    auto it = impl->loaded.find(name);
    if (it == impl->loaded.end()) {
        sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.", name);
        return nullptr;
    }
    return it->second.get();
}

static int onGetUnit(sd_bus_message * m, void * userdata, sd_bus_error * error)
{
    auto impl = BusStandIns::Impl::self(userdata);
    const char * name = nullptr;
    int r = sd_bus_message_read(m, "s", &name);
    if (r < 0)
        return r;
    impl->calls.push_back("GetUnit");
    Unit * unit = loadedUnit(impl, name, error);
    if (!unit)
        return -sd_bus_error_get_errno(error);
    return sd_bus_reply_method_return(m, "o", unit->path.c_str());
}

int BusStandIns::Impl::start(sd_bus_message * m, sd_bus_error * error, StartedUnit record)
{
    if (loaded.count(record.name))
        return sd_bus_error_setf(error, "org.freedesktop.systemd1.UnitExists", "Unit %s was already loaded or has a fragment file.", record.name.c_str());
    if (record.argv.empty())
        return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.InvalidArgs", "Unit %s has no ExecStart", record.name.c_str());

    auto u = std::make_unique<Unit>();
    u->name = record.name;
    char * path = nullptr;
    sd_bus_path_encode(kUnitPrefix, record.name.c_str(), &path);
    u->path = path;
    free(path);
    u->collectMode = record.collectMode.empty() ? "inactive" : record.collectMode;
    u->timeoutUSec = record.timeoutStartUSec;
    u->jobId = nextJob++;
    u->jobPath = "/org/freedesktop/systemd1/job/" + std::to_string(u->jobId);
    u->activeState = "activating";
    u->subState = "start";
    u->result = "success";
    if (record.addRef) {
        sd_bus_track_new(bus, &u->refs, nullptr, nullptr);
        sd_bus_track_add_sender(u->refs, m);
    }
    record.jobPath = u->jobPath;
    record.started = Clock::now();

    // Like systemd: the environment is a fixed PATH plus what the unit sets.
    std::vector<std::string> env{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    env.insert(env.end(), record.environment.begin(), record.environment.end());
    std::vector<char *> argv, envp;
    for (auto & a : record.argv)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    for (auto & e : env)
        envp.push_back(const_cast<char *>(e.c_str()));
    envp.push_back(nullptr);
    int r = posix_spawn(&u->pid, record.exe.c_str(), nullptr, nullptr, argv.data(), envp.data());
    if (r != 0)
        u->pid = -1;  // reaped below as 203/EXEC
    if (u->timeoutUSec)
        u->deadline = record.started + std::chrono::microseconds(u->timeoutUSec);

    u->record = records.size();
    records.push_back(std::move(record));
    auto & unit = *u;
    loaded[unit.name] = std::move(u);

    r = sd_bus_reply_method_return(m, "o", unit.jobPath.c_str());
    if (sd_bus_track_count(subscribers) > 0)
        sd_bus_emit_signal(bus, kManagerPath, kManagerInterface, "JobNew", "uos", unit.jobId, unit.jobPath.c_str(), unit.name.c_str());
    if (unit.pid < 0) {
        unit.execMainCode = CLD_EXITED;
        unit.execMainStatus = 203;
        unit.result = "exit-code";
        finish(unit, "failed");
    } else if (options.onJobStarted) {
        startedHookDue = true;  // run once the reply is on its way (see loop())
    }
    return r;
}

static int onStartUnit(sd_bus_message * m, void * userdata, sd_bus_error * error)
{
    auto impl = BusStandIns::Impl::self(userdata);
    const char * name = nullptr;
    const char * mode = nullptr;
    int r = sd_bus_message_read(m, "ss", &name, &mode);
    if (r < 0)
        return r;
    impl->calls.push_back("StartUnit");
    auto file = impl->options.unitFiles.find(name);
    if (file == impl->options.unitFiles.end())
        return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not found.", name);
    StartedUnit record;
    record.method = "StartUnit";
    record.name = name;
    record.mode = mode;
    record.type = "oneshot";
    record.argv = file->second;
    record.exe = file->second.empty() ? "" : file->second[0];
    return impl->start(m, error, std::move(record));
}

static int onStartTransientUnit(sd_bus_message * m, void * userdata, sd_bus_error * error)
{
    auto impl = BusStandIns::Impl::self(userdata);
    impl->calls.push_back("StartTransientUnit");
    const char * name = nullptr;
    const char * mode = nullptr;
    int r = sd_bus_message_read(m, "ss", &name, &mode);
    if (r < 0)
        return r;
    StartedUnit record;
    record.method = "StartTransientUnit";
    record.name = name;
    record.mode = mode;
    if ((r = sd_bus_message_enter_container(m, 'a', "(sv)")) < 0)
        return r;
    while ((r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
        const char * prop = nullptr;
        if ((r = sd_bus_message_read(m, "s", &prop)) < 0)
            return r;
        std::string p = prop;
        const char * s = nullptr;
        int b = 0;
        if (p == "ExecStart") {
            if ((r = sd_bus_message_enter_container(m, 'v', "a(sasb)")) < 0
                || (r = sd_bus_message_enter_container(m, 'a', "(sasb)")) < 0)
                return r;
            while ((r = sd_bus_message_enter_container(m, 'r', "sasb")) > 0) {
                const char * exe = nullptr;
                sd_bus_message_read(m, "s", &exe);
                auto args = readStrv(m);
                sd_bus_message_read(m, "b", &b);
                sd_bus_message_exit_container(m);
                if (record.argv.empty() && !args.empty()) {
                    record.exe = exe;
                    record.argv = std::move(args);
                }
            }
            sd_bus_message_exit_container(m);
            sd_bus_message_exit_container(m);
        } else if (p == "Type" || p == "Description" || p == "CollectMode") {
            if ((r = sd_bus_message_read(m, "v", "s", &s)) < 0)
                return r;
            (p == "Type" ? record.type : p == "Description" ? record.description : record.collectMode) = s;
        } else if (p == "AddRef") {
            if ((r = sd_bus_message_read(m, "v", "b", &b)) < 0)
                return r;
            record.addRef = b;
        } else if (p == "TimeoutStartUSec") {
            std::uint64_t t = 0;
            if ((r = sd_bus_message_read(m, "v", "t", &t)) < 0)
                return r;
            record.timeoutStartUSec = t;
        } else if (p == "Environment") {
            if ((r = sd_bus_message_enter_container(m, 'v', "as")) < 0)
                return r;
            record.environment = readStrv(m);
            sd_bus_message_exit_container(m);
        } else {
            if ((r = sd_bus_message_skip(m, "v")) < 0)
                return r;
        }
        sd_bus_message_exit_container(m);
    }
    if (r < 0)
        return r;
    sd_bus_message_exit_container(m);
    return impl->start(m, error, std::move(record));
}

static int onStopUnit(sd_bus_message * m, void * userdata, sd_bus_error * error)
{
    auto impl = BusStandIns::Impl::self(userdata);
    const char * name = nullptr;
    const char * mode = nullptr;
    int r = sd_bus_message_read(m, "ss", &name, &mode);
    if (r < 0)
        return r;
    impl->calls.push_back("StopUnit");
    Unit * unit = loadedUnit(impl, name, error);
    if (!unit)
        return -sd_bus_error_get_errno(error);
    auto & u = *unit;
    if (u.pid > 0) {
        u.stopped = true;
        ::kill(u.pid, SIGTERM);
    }
    auto job = "/org/freedesktop/systemd1/job/" + std::to_string(impl->nextJob++);
    return sd_bus_reply_method_return(m, "o", job.c_str());
}

static int onResetFailedUnit(sd_bus_message * m, void * userdata, sd_bus_error * error)
{
    auto impl = BusStandIns::Impl::self(userdata);
    const char * name = nullptr;
    int r = sd_bus_message_read(m, "s", &name);
    if (r < 0)
        return r;
    impl->calls.push_back("ResetFailedUnit");
    Unit * unit = loadedUnit(impl, name, error);
    if (!unit)
        return -sd_bus_error_get_errno(error);
    if (unit->activeState == "failed") {
        unit->activeState = "inactive";
        unit->subState = "dead";
        unit->result = "success";
        impl->collect(name);
    }
    return sd_bus_reply_method_return(m, "");
}

const sd_bus_vtable managerVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Subscribe", "", "", onSubscribe, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("GetUnit", "s", "o", onGetUnit, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("StartUnit", "ss", "o", onStartUnit, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("StartTransientUnit", "ssa(sv)a(sa(sv))", "o", onStartTransientUnit, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("StopUnit", "ss", "o", onStopUnit, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("ResetFailedUnit", "s", "", onResetFailedUnit, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL("JobNew", "uos", 0),
    SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
    SD_BUS_VTABLE_END,
};

// ---- units (a fallback object under /org/freedesktop/systemd1/unit)


int findUnit(sd_bus *, const char * path, const char *, void * userdata, void ** found, sd_bus_error *)
{
    auto impl = BusStandIns::Impl::self(userdata);
    for (auto & [name, u] : impl->loaded)
        if (u->path == path) {
            *found = u.get();
            return 1;
        }
    return 0;
}

static int getUnitProperty(sd_bus *, const char *, const char *, const char * property, sd_bus_message * reply, void * userdata, sd_bus_error *)
{
    auto & u = *static_cast<Unit *>(userdata);
    std::string p = property;
    if (p == "Id")
        return sd_bus_message_append(reply, "s", u.name.c_str());
    if (p == "ActiveState")
        return sd_bus_message_append(reply, "s", u.activeState.c_str());
    if (p == "SubState")
        return sd_bus_message_append(reply, "s", u.subState.c_str());
    if (p == "LoadState")
        return sd_bus_message_append(reply, "s", "loaded");
    if (p == "Job")
        return sd_bus_message_append(reply, "(uo)", u.jobId, u.jobId ? u.jobPath.c_str() : "/");
    if (p == "Result")
        return sd_bus_message_append(reply, "s", u.result.c_str());
    if (p == "ExecMainCode")
        return sd_bus_message_append(reply, "i", u.execMainCode);
    if (p == "ExecMainStatus")
        return sd_bus_message_append(reply, "i", u.execMainStatus);
    if (p == "MainPID")
        return sd_bus_message_append(reply, "u", (std::uint32_t) (u.pid > 0 ? u.pid : 0));
    return -EINVAL;
}

static int onUnref(sd_bus_message * m, void * userdata, sd_bus_error *)
{
    auto & u = *static_cast<Unit *>(userdata);
    if (u.refs)
        sd_bus_track_remove_sender(u.refs, m);
    // Collection happens in the loop (this callback must not free its own object).
    return sd_bus_reply_method_return(m, "");
}

const sd_bus_vtable unitVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Id", "s", getUnitProperty, 0, 0),
    SD_BUS_PROPERTY("ActiveState", "s", getUnitProperty, 0, 0),
    SD_BUS_PROPERTY("SubState", "s", getUnitProperty, 0, 0),
    SD_BUS_PROPERTY("LoadState", "s", getUnitProperty, 0, 0),
    SD_BUS_PROPERTY("Job", "(uo)", getUnitProperty, 0, 0),
    SD_BUS_METHOD("Unref", "", "", onUnref, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

const sd_bus_vtable serviceVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Result", "s", getUnitProperty, 0, 0),
    SD_BUS_PROPERTY("ExecMainCode", "i", getUnitProperty, 0, 0),
    SD_BUS_PROPERTY("ExecMainStatus", "i", getUnitProperty, 0, 0),
    SD_BUS_PROPERTY("MainPID", "u", getUnitProperty, 0, 0),
    SD_BUS_VTABLE_END,
};

} // namespace imprint::test
