// The state file across versions and clocks: a state written by a newer imprint, a truncated or
// garbage one, and times from the future (the clock jumped back since the last run) or the far
// past (it jumped forward) must never stop a run.

#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace imprint::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

Result run(const FakeMachine & m, std::vector<std::string> args)
{
    std::vector<std::string> all{"--no-systemd", "--root", m.root().string()};
    all.insert(all.end(), args.begin(), args.end());
    return runImprint(all, m.env());
}

fs::path statePath(const FakeMachine & m) { return m.root() / "var/lib/imprint/state.json"; }

} // namespace

TEST(StateRobustness, StateFromAFutureVersionIsSetAsideWithAWarning)
{
    FakeMachine m;
    m.writeConfig();
    m.installSeed("nocloud/plain");
    writeFile(statePath(m), R"({"version": 7, "instance_id": "iid-local01", "result": "applied",
                                "applied_overlay_sha256": "x", "shape_of_the_future": {"a": [1]}})");
    auto r = run(m, {"run"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("newer imprint"), std::string::npos) << r.err;
    json state = json::parse(readFile(statePath(m)));
    EXPECT_EQ(state["version"], 1);
    EXPECT_EQ(state["result"], "applied");
    EXPECT_EQ(m.stubCalls().size(), 1u) << "a state that cannot be read must not count as 'already applied'";
}

TEST(StateRobustness, TruncatedOrGarbageStateStartsAfresh)
{
    for (std::string garbage : {std::string("{\"version\": 1, \"instance_id\": \"iid-loc"), std::string("\x89PNG\r\n\x1a\n", 8),
                                std::string("[]"), std::string("{\"version\": \"one\"}"), std::string("null"), std::string("")}) {
        FakeMachine m;
        m.writeConfig();
        m.installSeed("nocloud/plain");
        writeFile(statePath(m), garbage);
        auto r = run(m, {"run"});
        EXPECT_EQ(r.exitCode, 0) << "state " << json(garbage).dump() << "\n" << r.err;
        EXPECT_EQ(json::parse(readFile(statePath(m)))["result"], "applied") << json(garbage).dump();
        auto status = run(m, {"status"});
        EXPECT_EQ(status.exitCode, 0) << status.err;
    }
}

TEST(StateRobustness, ClockJumpsDoNotChangeDecisions)
{
    for (std::string when : {"2999-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "not a time"}) {
        FakeMachine m;
        m.writeConfig();
        m.installSeed("nocloud/plain");
        ASSERT_EQ(run(m, {"run"}).exitCode, 0);
        json state = json::parse(readFile(statePath(m)));
        state["time"] = when;
        state["last_success_time"] = when;
        writeFile(statePath(m), state.dump(2));
        // Same input: still recognised as unchanged, whatever the recorded times say.
        auto r = run(m, {"run"});
        ASSERT_EQ(r.exitCode, 0) << when << "\n" << r.err;
        EXPECT_NE(r.out.find("result: unchanged"), std::string::npos) << when << "\n" << r.out;
        EXPECT_EQ(m.stubCalls().size(), 1u) << when;
        // A changed input after the jump is applied as usual.
        writeFile(m.root() / "var/lib/cloud/seed/nocloud/meta-data", "instance-id: iid-jump\nlocal-hostname: jumped\n");
        r = run(m, {"run"});
        ASSERT_EQ(r.exitCode, 0) << when << "\n" << r.err;
        EXPECT_EQ(json::parse(readFile(statePath(m)))["instance_id"], "iid-jump");
        EXPECT_EQ(m.stubCalls().size(), 2u) << when;
    }
}
