#pragma once
// What a provider folder tells the shared tests about itself, and the loopback stand-ins built
// from it. Each providers/<name>/tests/stand-in.cc declares one ProviderTable: the machines its
// local detection must recognise (tests/unit/platform-detect.cc), the stand-in of its metadata
// server with the platform's own rules (headers, tokens, status codes), and the identity its
// fixtures/basic must come out as (tests/integration/platforms.cc, which also puts every fault
// in front of every stand-in). Adding a provider adds a table; the shared tests are not edited.

#include "tests/support/http-server-helpers.hh"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace imprint::test {

// A machine detection must attribute to the provider: files under the root ("/sys/class/dmi/id/
// sys_vendor" -> "Hetzner\n"), laid over a laptop's DMI, and a word the signal must contain.
struct DetectCase
{
    std::map<std::string, std::string> files;
    std::string signalPart;
};
// DMI fields as the kernel shows them (each value gets its newline).
std::map<std::string, std::string> dmi(const std::map<std::string, std::string> & fields);

// What `fetch --json` must say for fixtures/basic.
struct ExpectedIdentity
{
    std::string instanceId;
    std::string hostname;
    std::optional<std::string> domain;
    std::size_t keys = 0;
    std::string timezone;  // "" = none
};

// State a test shares with a running stand-in.
struct StandInState
{
    std::string fixtureDir;                                            // absolute
    std::shared_ptr<bool> acceptWithoutToken = std::make_shared<bool>(false);  // EC2: IMDSv1 allowed
};

struct StandInServer
{
    std::string primaryPath;   // the first document a fetch reads (where faults go)
    std::string probeQuery;    // what a bare request to primaryPath needs besides the header ("api-version=...")
    bool requiresHeader = false;  // refuses a request without the platform's header or token
    bool unixSocket = false;      // HTTP over a unix socket (Incus)
    std::function<TestHandler(const StandInState &)> handler;
};

struct ProviderTable
{
    std::string platform;
    std::vector<DetectCase> detectedOn;
    std::vector<std::map<std::string, std::string>> nearMisses;  // DMI fields that must detect nothing
    std::optional<StandInServer> server;                         // metadata-server sources only
    std::optional<ExpectedIdentity> basic;                       // servers: what fixtures/basic fetches as
};

// Registers a table at start-up (one per providers/<name>/tests/stand-in.cc).
struct RegisterProviderTable
{
    explicit RegisterProviderTable(ProviderTable table);
};
// Every registered table, in the registry's detection order.
std::vector<const ProviderTable *> providerTables();
const ProviderTable & providerTable(const std::string & platform);

// ---- serving fixtures ----
// The fixture file's bytes as a reply, or 404.
TestReply serveFixture(const StandInState & state, const std::string & file);
using RouteTable = std::map<std::string, std::string>;  // URL path -> fixture file
TestReply serveRoute(const RouteTable & routes, const StandInState & state, const TestRequest & r);

// A tree in EC2's layout under /<version>/ (for each of `versions`): <path> is the fixture file
// <path>, a directory (a path ending in '/') its file <path>_index. Anything else: 404.
TestReply serveMetaDataTree(const StandInState & state, const std::vector<std::string> & versions, const TestRequest & r);

using ReplyOverride = std::function<std::optional<TestReply>(const TestRequest &)>;

struct PlatformServer
{
    std::string platform;
    std::string endpoint;      // what --endpoint takes ("http://127.0.0.1:N", "unix:/path")
    std::string primaryPath;
    StandInState state;
    std::unique_ptr<TestHttpServer> server;
    std::shared_ptr<ReplyOverride> override = std::make_shared<ReplyOverride>();
};

// `fixture` is "<platform>/<case>" (providers/<platform>/fixtures/<case>) or an absolute path;
// `socketDir` is where a unix socket goes.
std::unique_ptr<PlatformServer> startPlatformServer(const std::string & platform, const std::string & fixture,
                                                    const std::string & socketDir = "/tmp");

// The bytes of a fixture file (see test-helpers' fixture()), or nullopt.
std::optional<std::string> fixtureFile(const std::string & relPath);

// A fresh empty directory under /tmp, removed by the caller (or left for inspection).
std::string makeTempDir(const std::string & tag);

} // namespace imprint::test
