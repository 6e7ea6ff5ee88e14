// The crash harness: a run of the real binary is stopped with SIGKILL just before each of its
// filesystem steps in turn (every create, write, fsync, rename, unlink and mkdir under the fake
// root, counted by the LD_PRELOAD shim tests/crash/crash-shim.cc). After each kill the overlay,
// the previous overlay, instance.json, the raw user-data and state.json must each be the old or
// the new version, never partial or mixed, and the next run must complete. The same shim then
// makes every step from the Nth on fail with ENOSPC (disk full) or EROFS (read-only): the run
// must fail with a clear message and lose nothing.

#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

using namespace imprint::test;
using nlohmann::json;
namespace fs = std::filesystem;

#ifdef IMPRINT_CRASH_SHIM

namespace {

// The files a commit touches, relative to the root.
const std::vector<std::string> kFiles = {
    "var/lib/imprint/host.nix", "var/lib/imprint/host.nix.previous", "run/imprint/instance.json",
    "run/imprint/user-data", "var/lib/imprint/state.json"};

using Snapshot = std::map<std::string, std::optional<std::string>>;

Snapshot snapshot(const fs::path & root)
{
    Snapshot s;
    for (const auto & f : kFiles)
        s[f] = fs::exists(root / f) ? std::optional(readFile(root / f)) : std::nullopt;
    return s;
}

void writeSeed(const fs::path & root, const std::string & iid, const std::string & host, const std::string & key)
{
    fs::path seed = root / "var/lib/cloud/seed/nocloud";
    writeFile(seed / "meta-data", "instance-id: " + iid + "\nlocal-hostname: " + host + "\n");
    writeFile(seed / "user-data", "#cloud-config\nssh_authorized_keys:\n  - " + key + "\ntimezone: Europe/Paris\n");
}

const std::string kKey1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGo3xqU0rJp7ZCt6ZUvm0h3c9k5d0dC1l0kSmwNtJ0Fa one@example";
const std::string kKey2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh0dHBzOi8vZXhhbXBsZS5jb20vc2Vjb25kLWtleQAA two@example";

std::map<std::string, std::string> shimEnv(const fs::path & root, std::map<std::string, std::string> extra)
{
    extra["LD_PRELOAD"] = IMPRINT_CRASH_SHIM;
    extra["IMPRINT_CRASH_ROOT"] = root.string();
    extra["ASAN_OPTIONS"] = "detect_leaks=0";  // a SIGKILLed run leaks by definition
    return extra;
}

Result runIn(const fs::path & root, const std::map<std::string, std::string> & env, const fs::path & stubDir)
{
    std::map<std::string, std::string> all = env;
    all["IMPRINT_STUB_LOG"] = (stubDir / "stub.log").string();
    all["IMPRINT_STUB_EXIT"] = (stubDir / "stub-exit").string();
    return runImprint({"--no-systemd", "--root", root.string(), "run"}, all);
}

void resetTo(const fs::path & from, const fs::path & to)
{
    fs::remove_all(to);
    fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
}

// The state file must be whole JSON of a known result: never partial.
bool wholeState(const std::string & text)
{
    try {
        json j = json::parse(text);
        static const std::set<std::string> results{"applied", "committed", "unchanged", "failed"};
        return j.at("version") == 1 && results.count(j.at("result").get<std::string>()) == 1;
    } catch (...) {
        return false;
    }
}

std::string describe(const std::optional<std::string> & v)
{
    return v ? "\"" + v->substr(0, 120) + (v->size() > 120 ? "...\"" : "\"") : "(absent)";
}

// Each file is the old or the new version (state.json: whole, or one of them).
void expectOldOrNew(const Snapshot & before, const Snapshot & after, const Snapshot & now, const std::string & where,
                    const std::optional<Snapshot> & between = std::nullopt)
{
    for (const auto & f : kFiles) {
        const auto & v = now.at(f);
        bool ok = v == before.at(f) || v == after.at(f) || (between && v == between->at(f));
        if (!ok && f == "var/lib/imprint/state.json" && v)
            ok = wholeState(*v);  // a run writes state twice (committed, then applied/failed)
        EXPECT_TRUE(ok) << where << ": " << f << " is neither old nor new: " << describe(v) << "\n old: " << describe(before.at(f))
                        << "\n new: " << describe(after.at(f));
    }
}

std::vector<std::string> eventLog(const fs::path & log)
{
    std::vector<std::string> lines;
    std::istringstream in(fs::exists(log) ? readFile(log) : "");
    for (std::string l; std::getline(in, l);)
        lines.push_back(l);
    return lines;
}

std::vector<std::string> leftovers(const fs::path & root)
{
    std::vector<std::string> out;
    for (const char * dir : {"var/lib/imprint", "run/imprint"})
        if (fs::is_directory(root / dir))
            for (const auto & e : fs::directory_iterator(root / dir))
                if (auto n = e.path().filename().string(); n.find(".tmp.") != std::string::npos ||
                                                           (n.size() > 4 && n.compare(n.size() - 4, 4, ".tmp") == 0))
                    out.push_back(e.path().string());
    return out;
}

struct Scenario
{
    std::string name;
    bool firstBoot;     // no earlier run: "old" is nothing at all
    bool rebuildFails;  // the rebuild fails and the previous overlay is put back
};

class CrashHarness : public ::testing::TestWithParam<Scenario>
{
};

} // namespace

TEST_P(CrashHarness, KillAtEveryStepLeavesOldOrNewAndTheNextRunCompletes)
{
    const Scenario & sc = GetParam();
    TempDir work;
    fs::path base = work / "base", ref = work / "ref", victim = work / "victim", stubs = work / "stubs";
    fs::create_directories(stubs);
    {
        FakeMachine m;  // only for its config: the stub rebuild
        m.writeConfig();
        fs::create_directories(base / "etc/imprint");
        fs::copy_file(m.root() / "etc/imprint/imprint.yaml", base / "etc/imprint/imprint.yaml");
    }
    if (!sc.firstBoot) {
        writeSeed(base, "iid-old", "old-host", kKey1);
        auto r = runIn(base, {}, stubs);
        ASSERT_EQ(r.exitCode, 0) << r.err;
    }
    writeSeed(base, "iid-new", "new-host", kKey2);
    writeFile(stubs / "stub-exit", sc.rebuildFails ? "1" : "0");
    Snapshot before = snapshot(base);

    // The reference run: every step logged, nothing stopped.
    resetTo(base, ref);
    fs::path log = work / "events.log";
    auto r = runIn(ref, shimEnv(ref, {{"IMPRINT_CRASH_LOG", log.string()}}), stubs);
    ASSERT_EQ(r.exitCode, sc.rebuildFails ? 1 : 0) << r.err;
    Snapshot after = snapshot(ref);
    auto events = eventLog(log);
    ASSERT_GE(events.size(), 10u) << "the shim saw too few steps; is it loaded?";
    // A failing rebuild puts the old overlay back: in between, the new one was committed.
    std::optional<Snapshot> between;
    if (sc.rebuildFails) {
        resetTo(base, ref);
        writeFile(stubs / "stub-exit", "0");
        ASSERT_EQ(runIn(ref, {}, stubs).exitCode, 0);
        between = snapshot(ref);
        writeFile(stubs / "stub-exit", "1");
    }
    std::set<std::string> kinds;
    for (const auto & e : events)
        kinds.insert(e.substr(e.find(' ') + 1, e.find(' ', e.find(' ') + 1) - e.find(' ') - 1));
    for (const char * k : {"write", "fsync", "rename"})
        EXPECT_TRUE(kinds.count(k)) << "no " << k << " step seen";

    std::vector<std::string> leftoverSteps;
    for (std::size_t k = 1; k <= events.size(); ++k) {
        std::string where = sc.name + ", killed before step " + events[k - 1];
        resetTo(base, victim);
        auto killed = runIn(victim, shimEnv(victim, {{"IMPRINT_CRASH_AT", std::to_string(k)}}), stubs);
        EXPECT_EQ(killed.exitCode, 128 + SIGKILL) << where << "\n" << killed.err;
        Snapshot now = snapshot(victim);
        // Paths inside the state differ by nothing root-dependent: compare as they are.
        expectOldOrNew(before, after, now, where, between);

        writeFile(stubs / "stub-exit", "0");
        auto next = runIn(victim, {}, stubs);
        EXPECT_EQ(next.exitCode, 0) << where << ": the next run failed\n" << next.err;
        json state = json::parse(readFile(victim / "var/lib/imprint/state.json"));
        EXPECT_EQ(state["result"], "applied") << where;
        EXPECT_EQ(state["instance_id"], "iid-new") << where;
        std::string overlay = readFile(victim / "var/lib/imprint/host.nix");
        EXPECT_NE(overlay.find("\"new-host\""), std::string::npos) << where << "\n" << overlay;
        EXPECT_EQ(readFile(victim / "run/imprint/instance.json"), *snapshot(ref).at("run/imprint/instance.json"))
            << where;
        if (!leftovers(victim).empty())
            leftoverSteps.push_back(events[k - 1]);
        writeFile(stubs / "stub-exit", sc.rebuildFails ? "1" : "0");
        if (HasFailure())
            break;  // one broken step is enough to read
    }
    if (!leftoverSteps.empty())  // see KilledRunsLeaveNoTemporaryFilesBehind
        std::cerr << "note: " << leftoverSteps.size() << " of " << events.size()
                  << " kills left a temporary file that the next run did not remove\n";
}

// A run killed between writing a temporary file and renaming it leaves the file behind; the
// next run must reuse and rename it (one fixed temporary name per file), not pile them up.
TEST(CrashHarness, KilledRunsLeaveNoTemporaryFilesBehind)
{
    TempDir work;
    fs::path root = work / "root", ref = work / "ref", stubs = work / "stubs";
    fs::create_directories(stubs);
    FakeMachine m;
    m.writeConfig();
    fs::create_directories(root / "etc/imprint");
    fs::copy_file(m.root() / "etc/imprint/imprint.yaml", root / "etc/imprint/imprint.yaml");
    writeSeed(root, "iid-1", "host-1", kKey1);
    ASSERT_EQ(runIn(root, {}, stubs).exitCode, 0);
    writeSeed(root, "iid-2", "host-2", kKey2);
    resetTo(root, ref);
    fs::path log = work / "events.log";
    ASSERT_EQ(runIn(ref, shimEnv(ref, {{"IMPRINT_CRASH_LOG", log.string()}}), stubs).exitCode, 0);
    auto events = eventLog(log);
    std::size_t firstRename = 0;  // killed before it, the first temporary file stays
    for (std::size_t i = 0; i < events.size() && !firstRename; ++i)
        if (events[i].find(" rename ") != std::string::npos)
            firstRename = i + 1;
    ASSERT_GT(firstRename, 0u);
    EXPECT_EQ(runIn(root, shimEnv(root, {{"IMPRINT_CRASH_AT", std::to_string(firstRename)}}), stubs).exitCode, 128 + SIGKILL);
    ASSERT_FALSE(leftovers(root).empty()) << "the kill left no temporary file: the test no longer tests anything";
    ASSERT_EQ(runIn(root, {}, stubs).exitCode, 0);
    EXPECT_EQ(leftovers(root), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(Runs, CrashHarness,
                         ::testing::Values(Scenario{"first-boot", true, false}, Scenario{"changed-instance", false, false},
                                           Scenario{"rebuild-fails", false, true}),
                         [](const auto & info) {
                             std::string n = info.param.name;
                             for (auto & c : n) if (c == '-') c = '_';
                             return n;
                         });

namespace {

struct Fault
{
    std::string name;
    int err;
    std::string message;  // what strerror says, expected on stderr
};

class DiskFaults : public ::testing::TestWithParam<Fault>
{
};

} // namespace

// Disk full / read-only from step N on, for every N of a changing run: exit 1 with a message that
// names the cause, every file old or new, and once the disk is back the next run completes.
TEST_P(DiskFaults, FailingFromEveryStepLosesNothing)
{
    const Fault & fault = GetParam();
    TempDir work;
    fs::path base = work / "base", ref = work / "ref", victim = work / "victim", stubs = work / "stubs";
    fs::create_directories(stubs);
    {
        FakeMachine m;
        m.writeConfig();
        fs::create_directories(base / "etc/imprint");
        fs::copy_file(m.root() / "etc/imprint/imprint.yaml", base / "etc/imprint/imprint.yaml");
    }
    writeSeed(base, "iid-old", "old-host", kKey1);
    ASSERT_EQ(runIn(base, {}, stubs).exitCode, 0);
    writeSeed(base, "iid-new", "new-host", kKey2);
    Snapshot before = snapshot(base);
    resetTo(base, ref);
    fs::path log = work / "events.log";
    ASSERT_EQ(runIn(ref, shimEnv(ref, {{"IMPRINT_CRASH_LOG", log.string()}}), stubs).exitCode, 0);
    Snapshot after = snapshot(ref);
    auto events = eventLog(log);
    ASSERT_GE(events.size(), 10u);

    for (std::size_t k = 1; k <= events.size(); ++k) {
        std::string where = fault.name + " from step " + events[k - 1];
        resetTo(base, victim);
        auto r = runIn(victim, shimEnv(victim, {{"IMPRINT_FAIL_FROM", std::to_string(k)}, {"IMPRINT_FAIL_ERRNO", std::to_string(fault.err)}}),
                       stubs);
        // The lock file comes first: failing there is a failed run too.
        EXPECT_EQ(r.exitCode, 1) << where << "\n" << r.out << r.err;
        EXPECT_NE(r.err.find(fault.message), std::string::npos) << where << ": the error does not say why\n" << r.err;
        EXPECT_EQ(r.err.find("terminate"), std::string::npos) << where << "\n" << r.err;
        expectOldOrNew(before, after, snapshot(victim), where);
        auto next = runIn(victim, {}, stubs);
        EXPECT_EQ(next.exitCode, 0) << where << ": the run after the fault failed\n" << next.err;
        EXPECT_EQ(snapshot(victim).at("var/lib/imprint/host.nix"), after.at("var/lib/imprint/host.nix")) << where;
        if (HasFailure())
            break;
    }
}

INSTANTIATE_TEST_SUITE_P(Commit, DiskFaults,
                         ::testing::Values(Fault{"disk_full", ENOSPC, "No space left on device"},
                                           Fault{"read_only", EROFS, "Read-only file system"}),
                         [](const auto & info) { return info.param.name; });

#else
TEST(CrashHarness, NeedsTheShim)
{
    GTEST_SKIP() << "built without tests/crash (IMPRINT_CRASH_SHIM undefined): the crash harness cannot run";
}
#endif
