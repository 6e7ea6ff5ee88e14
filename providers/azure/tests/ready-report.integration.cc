// Azure's Ready report, directly and through a run.
#include "agent/system/http.hh"
#include "providers/azure/azure.hh"
#include "tests/support/platform-server-helpers.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace imprint;
using namespace imprint::test;
using nlohmann::json;
namespace fs = std::filesystem;

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
