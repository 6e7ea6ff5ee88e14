// libcurl is loaded on the first HTTP request, not linked (agent/libcurl.hh): the binary must not
// list it as NEEDED, a local seed must never load it, a metadata-server source must, and a
// library that cannot be loaded must give one clear error.

#include "agent/error.hh"
#include "agent/libcurl.hh"
#include "tests/support/http-server-helpers.hh"
#include "tests/support/test-helpers.hh"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

using namespace imprint;
using namespace imprint::test;

namespace {

std::optional<std::string> findInPath(const std::string & name)
{
    const char * path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        if (dir.empty())
            continue;
        auto candidate = std::filesystem::path(dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate.string();
    }
    return std::nullopt;
}

std::string loadError(const std::string & path)
{
    try {
        loadLibCurl(path);
    } catch (const Error & e) {
        return e.what();
    }
    ADD_FAILURE() << "loaded " << path;
    return "";
}

} // namespace

TEST(LibCurlLoading, BinaryDoesNotNeedLibcurl)
{
    auto readelf = findInPath("readelf");
    if (!readelf)
        GTEST_SKIP() << "readelf (binutils) is not installed: cannot read the NEEDED entries of " << IMPRINT_BINARY;
    auto r = runProcess({*readelf, "--dynamic", "--wide", IMPRINT_BINARY});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    std::vector<std::string> needed;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        auto open = line.find("Shared library: [");
        if (line.find("(NEEDED)") != std::string::npos && open != std::string::npos)
            needed.push_back(line.substr(open + 17, line.rfind(']') - open - 17));
    }
    ASSERT_FALSE(needed.empty()) << "no NEEDED entries parsed from:\n" << r.out;
    EXPECT_NE(std::find(needed.begin(), needed.end(), "libc.so.6"), needed.end()) << r.out;
    for (const auto & lib : needed)
        EXPECT_EQ(lib.find("libcurl"), std::string::npos) << IMPRINT_BINARY << " links " << lib;
}

TEST(LibCurlLoading, LocalSeedNeverLoadsLibcurl)
{
    FakeMachine m;
    m.writeConfig();
    m.installSeed("nocloud/keys-list");
    auto env = m.env();
    env["LD_DEBUG"] = "files";  // the dynamic loader reports each library it opens on stderr
    auto r = runImprint({"--no-systemd", "--root", m.root().string(), "fetch"}, env);
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("file=libc.so.6"), std::string::npos) << "LD_DEBUG had no effect:\n" << r.err;
    EXPECT_EQ(r.err.find("libcurl"), std::string::npos) << r.err;
}

TEST(LibCurlLoading, MetadataSourceLoadsLibcurlOnItsFirstRequest)
{
    TestHttpServer server([](const TestRequest &) { return TestReply::code(404); });
    FakeMachine m;
    m.writeConfig();
    auto env = m.env();
    env["LD_DEBUG"] = "files";
    auto r = runImprint({"--no-systemd", "--root", m.root().string(), "--source", "openstack", "--endpoint",
                         server.url(), "fetch"},
                        env);
    EXPECT_FALSE(server.requests().empty()) << r.err;
    EXPECT_NE(r.err.find(std::string("file=") + libCurlPath()), std::string::npos) << r.err;
}

TEST(LibCurlLoading, MissingLibraryIsOneClearError)
{
    std::string what = loadError("libimprint-test-no-such-curl.so.4");
    EXPECT_NE(what.find("cannot load the libcurl library libimprint-test-no-such-curl.so.4"), std::string::npos) << what;
    EXPECT_NE(what.find("libcurl4"), std::string::npos) << what;            // says which package
    EXPECT_NE(what.find("cannot open shared object file"), std::string::npos) << what;  // dlerror()
}

TEST(LibCurlLoading, LibraryWithoutTheFunctionsIsRefused)
{
    // A real library, but not libcurl: the first symbol is missing and dlerror() says so.
    std::string what = loadError("libz.so.1");
    EXPECT_NE(what.find("cannot use the libcurl library libz.so.1"), std::string::npos) << what;
    EXPECT_NE(what.find("curl_global_init"), std::string::npos) << what;
}

TEST(LibCurlLoading, TheRealLibraryLoadsOnce)
{
    const LibCurl & a = libCurl();
    const LibCurl & b = libCurl();
    EXPECT_EQ(&a, &b);
    ASSERT_NE(a.version_info, nullptr);
    const curl_version_info_data * v = a.version_info(CURLVERSION_NOW);
    ASSERT_NE(v, nullptr);
    EXPECT_GE(v->version_num, 0x075500u);
}
