// Every metadata-server platform end to end, driven by what each provider folder declares
// (providers/<name>/tests/stand-in.cc): the real `imprint` binary against the loopback stand-in
// that enforces the platform's headers, and every fault case against every provider.
//
// Bounds: the fault cases run with http.deadline_ms 2000 and http.request_timeout_ms 700, so
// each must end within deadline + one request timeout (2.7 s); asserted loosely at 6 s.

#include "agent/system/http.hh"
#include "providers/provider.hh"
#include "tests/support/platform-server-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>

using namespace imprint;
using namespace imprint::test;
using namespace std::chrono;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Every provider whose folder declares a stand-in server and the identity of its fixtures/basic.
std::vector<std::string> serverPlatforms()
{
    std::vector<std::string> out;
    for (const ProviderTable * t : providerTables())
        if (t->server && t->basic)
            out.push_back(t->platform);
    return out;
}

class PlatformFetch : public ::testing::TestWithParam<std::string> {};

void checkInstance(const json & j, const std::string & platform, const ExpectedIdentity & e)
{
    EXPECT_EQ(j["source"], platform);
    EXPECT_EQ(j["instance_id"], e.instanceId);
    EXPECT_EQ(j["hostname"], e.hostname);
    if (e.domain) {
        EXPECT_EQ(j["domain"], *e.domain);
    } else {
        EXPECT_TRUE(j["domain"].is_null()) << j.dump();
    }
    EXPECT_EQ(j["ssh_authorized_keys"].size(), e.keys) << j.dump();
    if (!e.timezone.empty()) {
        EXPECT_EQ(j["timezone"], e.timezone);
    } else {
        EXPECT_TRUE(j["timezone"].is_null()) << j.dump();
    }
}

} // namespace

TEST_P(PlatformFetch, BinaryFetchesTheInstance)
{
    const std::string & platform = GetParam();
    std::string root = makeTempDir("platform-root");
    auto ps = startPlatformServer(platform, platform + "/basic", root);
    auto r = runCapture({IMPRINT_BINARY, "--root", root, "--source", platform, "--endpoint", ps->endpoint, "--json", "fetch"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    checkInstance(j, platform, *providerTable(platform).basic);
    // The secret-bearing parts never reach the output.
    EXPECT_EQ(r.out.find("a-secret-auth-key"), std::string::npos);
    EXPECT_EQ(r.err.find("AQAEAFakeToken"), std::string::npos);
    fs::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(All, PlatformFetch, ::testing::ValuesIn(serverPlatforms()),
                         [](const auto & info) { return info.param; });





TEST(PlatformServers, RefuseRequestsWithoutThePlatformHeader)
{
    HttpConfig c;
    c.deadline = milliseconds{2000};
    auto http = makeHttpClient(c);
    for (const ProviderTable * t : providerTables()) {
        if (!t->server || !t->server->requiresHeader || t->server->unixSocket)
            continue;
        const std::string & p = t->platform;
        auto ps = startPlatformServer(p, p + "/basic");
        try {
            const std::string & query = t->server->probeQuery;
            http->get(ps->endpoint + ps->primaryPath + (query.empty() ? "" : "?" + query));
            ADD_FAILURE() << p << " answered without its header";
        } catch (const HttpError & e) {
            EXPECT_NE(e.kind(), HttpFailure::Transient) << p << ": " << e.what();
        }
    }
}

// ---- faults, for every provider, in process ----

namespace {

struct FaultCase
{
    std::string platform;
    std::string fault;
};

std::vector<FaultCase> allFaultCases()
{
    std::vector<FaultCase> out;
    for (const auto & platform : serverPlatforms())
        for (const char * f : {"500-then-ok", "404", "429-retry-after", "never-answers", "drip", "over-cap", "reset"})
            out.push_back({platform, f});
    return out;
}

// How ctest names each case ("ec2/404", not the struct's bytes).
void PrintTo(const FaultCase & f, std::ostream * os)
{
    *os << f.platform << "/" << f.fault;
}

class ProviderFault : public ::testing::TestWithParam<FaultCase> {};

} // namespace

TEST_P(ProviderFault, EndsInBoundedTimeWithAClearResult)
{
    const auto & fc = GetParam();
    std::string tmp = makeTempDir("fault");
    auto ps = startPlatformServer(fc.platform, fc.platform + "/basic", tmp);
    const std::string primary = ps->primaryPath;
    auto hits = std::make_shared<std::atomic<int>>(0);
    const std::string fault = fc.fault;
    *ps->override = [=](const TestRequest & r) -> std::optional<TestReply> {
        if (r.path != primary)
            return std::nullopt;
        int n = ++*hits;
        if (fault == "500-then-ok")
            return n == 1 ? std::optional(TestReply::code(500)) : std::nullopt;
        if (fault == "404")
            return TestReply::code(404);
        if (fault == "429-retry-after")
            return n == 1 ? std::optional(TestReply{429, "", {{"Retry-After", "1"}}, Fault::None}) : std::nullopt;
        if (fault == "never-answers")
            return TestReply::fault_(Fault::Hang);
        if (fault == "drip")
            return TestReply::fault_(Fault::Drip, std::string(64, 'x'));
        if (fault == "over-cap")
            return TestReply::fault_(Fault::NoLength, std::string(64 * 1024, 'x'));
        if (fault == "reset")
            return TestReply::fault_(Fault::ResetMidBody, std::string(2000, 'x'));
        return std::nullopt;
    };

    Config config;
    config.http.connectTimeout = milliseconds{500};
    config.http.requestTimeout = milliseconds{700};
    config.http.deadline = milliseconds{2000};
    config.http.retries = 5;
    config.http.backoffInitial = milliseconds{100};
    config.http.backoffMax = milliseconds{400};
    config.http.maxBodyBytes = 32 * 1024;
    Host host(tmp);
    auto http = makeHttpClient(config.http);
    FetchContext ctx{host, config, std::nullopt, ps->endpoint, http.get(), nullptr};
    const Provider * provider = findProvider(fc.platform);
    ASSERT_NE(provider, nullptr);

    auto t0 = steady_clock::now();
    std::optional<SourceData> data;
    std::string error;
    try {
        data = provider->fetch(ctx);
    } catch (const Error & e) {
        error = e.what();
    }
    auto took = duration_cast<milliseconds>(steady_clock::now() - t0);
    EXPECT_LT(took, milliseconds{6000}) << error;

    bool shouldSucceed = fault == "500-then-ok" || fault == "429-retry-after";
    if (shouldSucceed) {
        ASSERT_TRUE(data) << error;
        EXPECT_FALSE(data->instanceId.empty());
        EXPECT_GE(hits->load(), 2);
        if (fault == "429-retry-after") {
            EXPECT_GE(took, milliseconds{900});  // Retry-After: 1 was honoured
        }
        fs::remove_all(tmp);
        return;
    }
    ASSERT_FALSE(data) << "fetch succeeded despite " << fault;
    // A clear error: it names the request and says what happened.
    EXPECT_NE(error.find(primary), std::string::npos) << error;
    if (fault == "404") {
        EXPECT_NE(error.find("not found"), std::string::npos) << error;
    }
    if (fault == "over-cap") {
        EXPECT_NE(error.find("http.max_body_bytes"), std::string::npos) << error;
    }
    if (fault == "never-answers" || fault == "drip") {
        EXPECT_NE(error.find("ms"), std::string::npos) << error;
    }
    if (fault == "404" || fault == "over-cap") {
        EXPECT_EQ(hits->load(), 1) << "not retried";
    }
    fs::remove_all(tmp);
}

INSTANTIATE_TEST_SUITE_P(All, ProviderFault, ::testing::ValuesIn(allFaultCases()), [](const auto & info) {
    std::string n = info.param.platform + "_" + info.param.fault;
    for (auto & c : n)
        if (!std::isalnum(static_cast<unsigned char>(c)))
            c = '_';
    return n;
});



TEST(ProviderHook, OnlyAzureActsAfterCommitAndNotUnderATestRoot)
{
    std::string root = makeTempDir("hook");
    Host host(root);
    Config config;
    auto http = makeHttpClient(config.http);
    for (const auto & p : allProviders()) {
        // No endpoint configured and not the real root: nothing may be contacted.
        EXPECT_EQ(p->afterCommit(AfterCommitContext{host, config, http.get()}), std::nullopt) << p->name();
    }
    fs::remove_all(root);
}

TEST(PlatformRun, FailedFetchLeavesTheCommittedOverlayAlone)
{
    std::string root = makeTempDir("run-fault");
    fs::create_directories(root + "/etc/imprint");
    std::ofstream(root + "/etc/imprint/imprint.yaml")
        << "http:\n  deadline_ms: 2000\n  request_timeout_ms: 700\n  connect_timeout_ms: 500\n";
    fs::create_directories(root + "/var/lib/imprint");
    const std::string overlay = "{ lib, ... }: { networking.hostName = lib.mkOverride 90 \"before\"; }\n";
    std::ofstream(root + "/var/lib/imprint/host.nix") << overlay;
    auto ps = startPlatformServer("ec2", "ec2/basic", root);
    *ps->override = [](const TestRequest & r) -> std::optional<TestReply> {
        if (r.path == "/latest/meta-data/instance-id")
            return TestReply::fault_(Fault::Hang);
        return std::nullopt;
    };
    auto r = runCapture({IMPRINT_BINARY, "--root", root, "--source", "ec2", "--endpoint", ps->endpoint, "run", "--no-rebuild"});
    EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
    EXPECT_LT(r.elapsed, milliseconds{8000});
    EXPECT_NE(r.err.find("/latest/meta-data/instance-id"), std::string::npos) << r.err;
    EXPECT_EQ(fixtureFile(root + "/var/lib/imprint/host.nix"), overlay);
    fs::remove_all(root);
}

