// A config drive read from a directory, end to end.
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

TEST(ConfigDriveFetch, FromADirectory)
{
    std::string root = makeTempDir("cd-root");
    std::string dir = fixture("configdrive/basic").string();
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
