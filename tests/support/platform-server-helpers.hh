#pragma once
// Loopback stand-ins for each platform's metadata server, serving tests/fixtures/<platform>/<case>/
// and enforcing what the real service enforces: EC2 wants an IMDSv2 token on every GET, GCE
// the Metadata-Flavor header, Azure `Metadata: true` and an api-version, Oracle its Bearer
// header; Hetzner answers 204 for empty user data; Incus listens on a unix socket.
// A test can put a fault in front of any request with `override`.

#include "tests/support/http-server-helpers.hh"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace imprint::test {

using ReplyOverride = std::function<std::optional<TestReply>(const TestRequest &)>;

struct PlatformServer
{
    std::string platform;
    std::string endpoint;      // what --endpoint takes ("http://127.0.0.1:N", "unix:/path")
    std::string primaryPath;   // the first document a fetch reads (where faults go)
    std::unique_ptr<TestHttpServer> server;
    std::shared_ptr<ReplyOverride> override = std::make_shared<ReplyOverride>();
    std::shared_ptr<bool> allowImdsV1 = std::make_shared<bool>(false);  // EC2: accept GETs without a token
};

// `fixture` is a directory under tests/fixtures (e.g. "ec2/basic") or an absolute path; `socketDir` is where the
// Incus socket goes.
std::unique_ptr<PlatformServer> startPlatformServer(const std::string & platform, const std::string & fixture,
                                                    const std::string & socketDir = "/tmp");

// The bytes of tests/fixtures/<relPath> (or of an absolute path), or nullopt.
std::optional<std::string> fixtureFile(const std::string & relPath);

// A fresh empty directory under /tmp, removed by the caller (or left for inspection).
std::string makeTempDir(const std::string & tag);

} // namespace imprint::test
