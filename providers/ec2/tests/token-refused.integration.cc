// EC2's IMDSv2 token PUT refused (a hop limit of 1 seen from a container, a proxy, IMDS turned
// off): without `ec2.allow_imdsv1` the fetch ends at once with an error that names the setting;
// with it, the metadata is read without a token, as IMDSv1 serves it. The other faults every
// stand-in is put through are tests/integration/platforms.cc's.

#include "agent/system/http.hh"
#include "providers/provider.hh"
#include "tests/support/platform-server-helpers.hh"

#include <gtest/gtest.h>

#include <filesystem>

using namespace imprint;
using namespace imprint::test;
using namespace std::chrono;
namespace fs = std::filesystem;

namespace {

struct RefusedTokenImds
{
    std::string root = makeTempDir("ec2-token-refused");
    std::unique_ptr<PlatformServer> ps = startPlatformServer("ec2", "ec2/basic", root);
    Config config;
    Host host{root};

    explicit RefusedTokenImds(bool allowImdsV1)
    {
        *ps->override = [](const TestRequest & r) {
            return r.path == "/latest/api/token" ? std::optional(TestReply::code(403)) : std::nullopt;
        };
        *ps->state.acceptWithoutToken = allowImdsV1;
        config.ec2AllowImdsV1 = allowImdsV1;
        config.http.deadline = milliseconds{2000};
        config.http.backoffInitial = milliseconds{100};
    }
    ~RefusedTokenImds() { fs::remove_all(root); }

    SourceData fetch()
    {
        auto http = makeHttpClient(config.http);
        FetchContext ctx{host, config, std::nullopt, ps->endpoint, http.get(), nullptr};
        return findProvider("ec2")->fetch(ctx);
    }
};

} // namespace

TEST(Ec2TokenRefused, EndsAtOnceNamingTheSetting)
{
    RefusedTokenImds imds(false);
    std::string error;
    auto t0 = steady_clock::now();
    try {
        imds.fetch();
        ADD_FAILURE() << "fetch succeeded without a token and without ec2.allow_imdsv1";
    } catch (const Error & e) {
        error = e.what();
    }
    EXPECT_LT(steady_clock::now() - t0, seconds{2}) << "a 403 is not retried: " << error;
    EXPECT_NE(error.find("ec2.allow_imdsv1"), std::string::npos) << error;
    for (const auto & r : imds.ps->server->requests())
        EXPECT_EQ(r.path, "/latest/api/token") << "no GET without a token";
}

TEST(Ec2TokenRefused, WithImdsV1AllowedReadsWithoutAToken)
{
    RefusedTokenImds imds(true);
    SourceData d = imds.fetch();
    EXPECT_EQ(d.instanceId, "i-0abcdef1234567890");
    EXPECT_EQ(d.publicKeys.size(), 2u);
    for (const auto & r : imds.ps->server->requests()) {
        if (r.path != "/latest/api/token") {
            EXPECT_FALSE(r.header("x-aws-ec2-metadata-token")) << r.path;
        }
    }
}
