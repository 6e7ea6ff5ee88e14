// Every metadata-server platform end to end: the real `imprint` binary against a loopback
// stand-in that enforces the platform's headers, and every fault case against every provider.
//
// Bounds: the fault cases run with http.deadline_ms 2000 and http.request_timeout_ms 700, so
// each must end within deadline + one request timeout (2.7 s); asserted loosely at 6 s.

#include "agent/system/http.hh"
#include "providers/metadata.hh"
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

struct Expect
{
    std::string platform;
    std::string instanceId;
    std::string hostname;
    std::optional<std::string> domain;
    std::size_t keys;
    std::string timezone;
};

const Expect kPlatforms[] = {
    {"ec2", "i-0abcdef1234567890", "ip-10-0-1-23", "eu-west-1.compute.internal", 2, "Europe/Dublin"},
    {"gce", "4520851129873650412", "build-runner-with-a-deliberately-long-instance-name",
     "europe-west1-b.c.my-project-123456.internal", 1, "Europe/Brussels"},  // root's; alice and carol get their own users
    {"azure", "02aab8a4-74ef-476e-8182-f6d2ba4166a6", "web-01", std::nullopt, 1, "Europe/Amsterdam"},
    {"openstack", "83679162-1378-4288-a2d4-70e13ec132aa", "test-vm", "novalocal", 1, "Europe/Berlin"},
    {"digitalocean", "2756294", "sample-droplet", std::nullopt, 1, "America/New_York"},
    {"hetzner", "42424242", "my-server", "example.org", 1, ""},
    {"oracle", "ocid1.instance.oc1.eu-frankfurt-1.antheljexampleuniqueid", "oci-app-1", std::nullopt, 1, "Europe/Madrid"},
    {"incus", "3f2a9c1e-5b7d-4e8f-a1b2-c3d4e5f60718", "nixos-lxc-1", std::nullopt, 1, "Europe/Paris"},
};

class PlatformFetch : public ::testing::TestWithParam<Expect> {};

void checkInstance(const json & j, const Expect & e)
{
    EXPECT_EQ(j["source"], e.platform);
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
    const Expect & e = GetParam();
    std::string root = makeTempDir("platform-root");
    auto ps = startPlatformServer(e.platform, e.platform + "/basic", root);
    auto r = runCapture({IMPRINT_BINARY, "--root", root, "--source", e.platform, "--endpoint", ps->endpoint, "--json", "fetch"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    checkInstance(j, e);
    // The secret-bearing parts never reach the output.
    EXPECT_EQ(r.out.find("a-secret-auth-key"), std::string::npos);
    EXPECT_EQ(r.err.find("AQAEAFakeToken"), std::string::npos);
    fs::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(All, PlatformFetch, ::testing::ValuesIn(kPlatforms),
                         [](const auto & info) { return info.param.platform; });

TEST(PlatformFetch, ConfigDriveDirectory)
{
    std::string root = makeTempDir("cd-root");
    std::string dir = std::string(IMPRINT_FIXTURES_DIR) + "/configdrive/basic";
    auto r = runCapture({IMPRINT_BINARY, "--root", root, "--source", "configdrive:" + dir, "--json", "fetch"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    EXPECT_EQ(j["instance_id"], "6f1c2b9e-7d3a-4b8e-9a0c-1e2f3a4b5c6d");  // the newest dated version
    EXPECT_EQ(j["hostname"], "vmi-db");
    EXPECT_EQ(j["domain"], "default");
    EXPECT_EQ(j["timezone"], "Europe/Vienna");
    EXPECT_EQ(j["ssh_authorized_keys"].size(), 1u);
    fs::remove_all(root);
}

TEST(PlatformFetch, GceBlockProjectSshKeys)
{
    // Same fixture plus block-project-ssh-keys: carol's project key must go.
    std::string tmp = makeTempDir("gce-block");
    fs::copy(std::string(IMPRINT_FIXTURES_DIR) + "/gce/basic", tmp + "/fx");
    std::ofstream(tmp + "/fx/block-project-ssh-keys") << "true";
    auto ps = startPlatformServer("gce", tmp + "/fx");
    auto r = runCapture({IMPRINT_BINARY, "--root", tmp, "--source", "gce", "--endpoint", ps->endpoint, "--json", "fetch"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    ASSERT_EQ(j["ssh_authorized_keys"].size(), 1u) << j.dump();
    EXPECT_NE(j["ssh_authorized_keys"][0].get<std::string>().find("ops@bastion"), std::string::npos);
    ASSERT_EQ(j["users"].size(), 1u) << j.dump();
    EXPECT_NE(j["users"]["alice"]["ssh_authorized_keys"][0].get<std::string>().find("alice@laptop"), std::string::npos);
    fs::remove_all(tmp);
}

TEST(PlatformFetch, GceKeysGoToTheirOwnUsers)
{
    std::string root = makeTempDir("gce-users");
    auto ps = startPlatformServer("gce", "gce/basic", root);
    auto r = runCapture({IMPRINT_BINARY, "--root", root, "--source", "gce", "--endpoint", ps->endpoint, "--json", "fetch"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    // root:... goes to ssh_user (root by default); alice (instance) and carol (project) become
    // accounts; bob's key expired; Deploy.Bot is no NixOS user name.
    ASSERT_EQ(j["ssh_authorized_keys"].size(), 1u) << j.dump();
    EXPECT_NE(j["ssh_authorized_keys"][0].get<std::string>().find("ops@bastion"), std::string::npos);
    ASSERT_EQ(j["users"].size(), 2u) << j.dump();
    EXPECT_NE(j["users"]["alice"]["ssh_authorized_keys"][0].get<std::string>().find("alice@laptop"), std::string::npos);
    EXPECT_NE(j["users"]["carol"]["ssh_authorized_keys"][0].get<std::string>().find("carol@ci"), std::string::npos);
    EXPECT_FALSE(j["users"].contains("bob"));
    // The skipped entry is named by its metadata key and user, never by its key material.
    EXPECT_NE(r.err.find("/computeMetadata/v1/instance/attributes/ssh-keys"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("'Deploy.Bot'"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("AAAAC3NzaC1lZDI1NTE5AAAAIG7hJ6kL"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("deploy-bot@ci"), std::string::npos) << r.err;

    // The overlay declares the accounts, as cloud-config users[] does.
    auto rendered = runCapture({IMPRINT_BINARY, "--root", root, "--source", "gce", "--endpoint", ps->endpoint, "render"});
    ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
    EXPECT_NE(rendered.out.find("users.users.alice.isNormalUser = lib.mkDefault true;"), std::string::npos) << rendered.out;
    EXPECT_NE(rendered.out.find("users.users.carol.openssh.authorizedKeys.keys"), std::string::npos) << rendered.out;
    EXPECT_NE(rendered.out.find("users.users.root.openssh.authorizedKeys.keys"), std::string::npos) << rendered.out;
    EXPECT_EQ(rendered.out.find("Deploy"), std::string::npos) << rendered.out;
    fs::remove_all(root);
}

TEST(PlatformFetch, GceKeysOfTheConfiguredSshUserStayWithIt)
{
    std::string root = makeTempDir("gce-sshuser");
    fs::create_directories(root + "/etc/imprint");
    std::ofstream(root + "/etc/imprint/imprint.yaml") << "ssh_user: alice\n";
    auto ps = startPlatformServer("gce", "gce/basic", root);
    auto r = runCapture({IMPRINT_BINARY, "--root", root, "--source", "gce", "--endpoint", ps->endpoint, "--json", "fetch"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    // alice's and root's keys both go to ssh_user alice; carol still gets her own account.
    ASSERT_EQ(j["ssh_authorized_keys"].size(), 2u) << j.dump();
    EXPECT_NE(j["ssh_authorized_keys"][0].get<std::string>().find("alice@laptop"), std::string::npos);
    EXPECT_NE(j["ssh_authorized_keys"][1].get<std::string>().find("ops@bastion"), std::string::npos);
    ASSERT_EQ(j["users"].size(), 1u) << j.dump();
    EXPECT_TRUE(j["users"].contains("carol"));
    fs::remove_all(root);
}

TEST(PlatformServers, RefuseRequestsWithoutThePlatformHeader)
{
    HttpConfig c;
    c.deadline = milliseconds{2000};
    auto http = makeHttpClient(c);
    for (const char * p : {"ec2", "gce", "azure", "oracle"}) {
        auto ps = startPlatformServer(p, std::string(p) + "/basic");
        try {
            http->get(ps->endpoint + ps->primaryPath + (std::string(p) == "azure" ? "?api-version=2021-08-01" : ""));
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
    for (const auto & e : kPlatforms)
        for (const char * f : {"500-then-ok", "404", "429-retry-after", "never-answers", "drip", "over-cap", "reset"})
            out.push_back({e.platform, f});
    out.push_back({"ec2", "token-put-refused"});
    out.push_back({"ec2", "token-put-refused-imdsv1-allowed"});
    return out;
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
        if (fault.starts_with("token-put-refused"))
            return r.path == "/latest/api/token" ? std::optional(TestReply::code(403)) : std::nullopt;
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
    *ps->allowImdsV1 = fault == "token-put-refused-imdsv1-allowed";

    Config config;
    config.http.connectTimeout = milliseconds{500};
    config.http.requestTimeout = milliseconds{700};
    config.http.deadline = milliseconds{2000};
    config.http.retries = 5;
    config.http.backoffInitial = milliseconds{100};
    config.http.backoffMax = milliseconds{400};
    config.http.maxBodyBytes = 32 * 1024;
    config.ec2AllowImdsV1 = fault == "token-put-refused-imdsv1-allowed";
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

    bool shouldSucceed = fault == "500-then-ok" || fault == "429-retry-after" || fault == "token-put-refused-imdsv1-allowed";
    if (shouldSucceed) {
        ASSERT_TRUE(data) << error;
        EXPECT_FALSE(data->instanceId.empty());
        if (fault != "token-put-refused-imdsv1-allowed") {
            EXPECT_GE(hits->load(), 2);
        }
        if (fault == "429-retry-after") {
            EXPECT_GE(took, milliseconds{900});  // Retry-After: 1 was honoured
        }
        fs::remove_all(tmp);
        return;
    }
    ASSERT_FALSE(data) << "fetch succeeded despite " << fault;
    // A clear error: it names the request and says what happened.
    if (fault == "token-put-refused") {
        EXPECT_NE(error.find("ec2.allow_imdsv1"), std::string::npos) << error;
    } else {
        EXPECT_NE(error.find(primary), std::string::npos) << error;
    }
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

TEST(Azure, ReportsReadyToTheWireserver)
{
    auto ps = startPlatformServer("azure", "azure/basic");
    auto http = makeHttpClient(HttpConfig{});
    reportAzureReady(*http, ps->endpoint);
    auto reqs = ps->server->requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].method, "GET");
    EXPECT_EQ(reqs[0].query, "comp=goalstate");
    EXPECT_EQ(reqs[1].method, "POST");
    EXPECT_EQ(reqs[1].query, "comp=health");
    EXPECT_EQ(reqs[1].header("x-ms-version"), "2012-11-30");
    const std::string & body = reqs[1].body;
    EXPECT_NE(body.find("<State>Ready</State>"), std::string::npos);
    EXPECT_NE(body.find("<GoalStateIncarnation>1</GoalStateIncarnation>"), std::string::npos);
    EXPECT_NE(body.find("<ContainerId>8a1f3e52-63e5-4f0c-9a34-1a2b3c4d5e6f</ContainerId>"), std::string::npos);
    EXPECT_NE(body.find("<InstanceId>02aab8a4-74ef-476e-8182-f6d2ba4166a6.web-01</InstanceId>"), std::string::npos);
}

TEST(Azure, ARunReportsReadyThroughTheProviderHookAfterCommitting)
{
    // Under --root the wireserver is contacted only when `endpoints: {azure-wireserver: URL}`
    // names one; with it, a run reports Ready once the overlay is committed.
    for (bool configured : {false, true}) {
        std::string root = makeTempDir("azure-run");
        auto ps = startPlatformServer("azure", "azure/basic", root);
        fs::create_directories(root + "/etc/imprint");
        std::ofstream(root + "/etc/imprint/imprint.yaml")
            << (configured ? "endpoints:\n  azure-wireserver: " + ps->endpoint + "\n" : std::string("ssh_user: root\n"));
        auto r = runCapture({IMPRINT_BINARY, "--root", root, "--source", "azure", "--endpoint", ps->endpoint, "run", "--no-rebuild"});
        ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
        EXPECT_TRUE(fs::exists(root + "/var/lib/imprint/host.nix"));
        std::size_t health = 0;
        for (const auto & req : ps->server->requests())
            health += req.path == "/machine/" && req.query == "comp=health";
        EXPECT_EQ(health, configured ? 1u : 0u) << r.err;
        if (configured) {
            EXPECT_NE(r.err.find("reported Ready to the Azure wireserver"), std::string::npos) << r.err;
        }
        fs::remove_all(root);
    }
}

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

TEST(NoCloudSeedFrom, OverHttpFromTheKernelCommandLine)
{
    std::string root = makeTempDir("seedfrom");
    TestHttpServer server([](const TestRequest & r) {
        auto f = fixtureFile("nocloud-seedfrom/basic" + r.path.substr(r.path.rfind('/')));
        return r.path.starts_with("/seed/") && f ? TestReply::text(*f) : TestReply::code(404);
    });
    fs::create_directories(root + "/proc");
    std::ofstream(root + "/proc/cmdline") << "root=/dev/vda1 ds=nocloud;s=" << server.url() << "/seed/ quiet\n";
    auto r = runCapture({IMPRINT_BINARY, "--root", root, "--json", "fetch"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    json j = json::parse(r.out);
    EXPECT_EQ(j["source"], "nocloud");
    EXPECT_EQ(j["instance_id"], "iid-seedfrom-01");
    EXPECT_EQ(j["hostname"], "seeded");
    EXPECT_EQ(j["domain"], "lab.example");
    EXPECT_EQ(j["timezone"], "Europe/Oslo");
    EXPECT_EQ(j["ssh_authorized_keys"].size(), 1u);
    EXPECT_EQ(server.count("/seed/meta-data"), 1u);

    // A host name instead of an IP literal is refused before anything is resolved.
    std::ofstream(root + "/proc/cmdline") << "ds=nocloud;s=http://seed.example.org/seed/\n";
    r = runCapture({IMPRINT_BINARY, "--root", root, "--json", "fetch"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("IP address"), std::string::npos) << r.err;
    fs::remove_all(root);
}
