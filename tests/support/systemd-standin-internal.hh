#pragma once
// What the two halves of the bus stand-ins share (systemd-standin-helpers.cc: hostname1, the
// loop and the public side; systemd-standin-manager-helpers.cc: systemd1's manager and units).
// Only they include it.

#include "tests/support/systemd-standin-helpers.hh"

#include <systemd/sd-bus.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace imprint::test {

// The stand-ins' own names, apart from the rest of the test support.
namespace standin {

using Clock = std::chrono::steady_clock;

inline constexpr const char * kUnitPrefix = "/org/freedesktop/systemd1/unit";
inline constexpr const char * kManagerPath = "/org/freedesktop/systemd1";
inline constexpr const char * kManagerInterface = "org.freedesktop.systemd1.Manager";

struct Unit
{
    std::string name;
    std::string path;
    std::string activeState = "inactive";
    std::string subState = "dead";
    std::string result = "success";
    std::string collectMode = "inactive";
    int execMainCode = 0;
    int execMainStatus = 0;
    pid_t pid = -1;
    std::uint32_t jobId = 0;
    std::string jobPath;
    std::size_t record = 0;
    std::uint64_t timeoutUSec = 0;
    Clock::time_point deadline;
    bool timedOut = false;
    bool stopped = false;
    sd_bus_track * refs = nullptr;
};

inline std::vector<std::string> readStrv(sd_bus_message * m)
{
    char ** strv = nullptr;
    if (sd_bus_message_read_strv(m, &strv) < 0)
        return {};
    std::vector<std::string> out;
    for (char ** s = strv; s && *s; ++s) {
        out.emplace_back(*s);
        free(*s);
    }
    free(strv);
    return out;
}

} // namespace standin

using namespace standin;

struct BusStandIns::Impl
{
    StandInOptions options;
    sd_bus * bus = nullptr;
    sd_bus_track * subscribers = nullptr;
    std::vector<sd_bus_slot *> slots;
    mutable std::recursive_mutex mutex;
    std::map<std::string, std::unique_ptr<Unit>> loaded;
    std::vector<StartedUnit> records;
    std::vector<std::string> calls;
    std::vector<std::string> hostnames;
    std::string hostname = "generic";
    std::uint32_t nextJob = 1;
    bool broken = false;
    bool startedHookDue = false;
    std::atomic<bool> stop{false};
    std::thread thread;

    void loop();
    void reap();
    void finish(Unit & u, std::string jobResult);
    void collect(const std::string & name);
    int start(sd_bus_message * m, sd_bus_error * error, StartedUnit record);

    static Impl * self(void * userdata) { return static_cast<Impl *>(userdata); }
};

// The vtables and the unit lookup each half defines for the other.
extern const sd_bus_vtable managerVtable[];
extern const sd_bus_vtable unitVtable[];
extern const sd_bus_vtable serviceVtable[];
int findUnit(sd_bus *, const char * path, const char *, void * userdata, void ** found, sd_bus_error *);

} // namespace imprint::test
