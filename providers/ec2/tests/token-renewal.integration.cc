// EC2's IMDSv2 token lapsing or being revoked in the middle of a fetch: the loopback IMDS below
// issues a new token for every PUT and revokes the current one after N GETs, as IMDS does when
// the token's TTL runs out or the instance's metadata options change. A GET refused with 401
// gets one new token and one retry; a second 401 ends the fetch with the usual error.

#include "agent/system/http.hh"
#include "providers/provider.hh"
#include "tests/support/platform-server-helpers.hh"

#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>

using namespace imprint;
using namespace imprint::test;
using namespace std::chrono;
namespace fs = std::filesystem;

namespace {

// The token side of IMDS, in front of the fixture server (which then accepts any GET).
struct RevokingImds
{
    std::mutex m;
    int revokeAfter = 0;      // GETs served with one token before it is revoked; 0: never
    bool refuseAll = false;   // every GET answers 401, whatever its token
    int generation = 1;
    int servedWithCurrent = 0;
    int puts = 0;
    int refused = 0;
    std::vector<std::string> tokensSeen;

    std::string current() const { return "AQAEA-token-generation-" + std::to_string(generation) + "=="; }

    std::optional<TestReply> answer(const TestRequest & r)
    {
        std::lock_guard lock(m);
        if (r.path == "/latest/api/token") {
            if (r.method != "PUT" || !r.header("x-aws-ec2-metadata-token-ttl-seconds"))
                return TestReply::code(400);
            ++puts;
            ++generation;  // a new token replaces the old one
            servedWithCurrent = 0;
            return TestReply::text(current());
        }
        auto token = r.header("x-aws-ec2-metadata-token");
        tokensSeen.push_back(token.value_or(""));
        if (refuseAll || token != current()) {
            ++refused;
            return TestReply::code(401);
        }
        if (revokeAfter > 0 && ++servedWithCurrent > revokeAfter) {
            ++generation;  // revoked: this and every later GET with it is refused
            ++refused;
            return TestReply::code(401);
        }
        return std::nullopt;  // the fixture answers
    }
};

struct Fixture
{
    std::string root = makeTempDir("ec2-token");
    std::unique_ptr<PlatformServer> ps = startPlatformServer("ec2", "ec2/basic", root);
    std::shared_ptr<RevokingImds> imds = std::make_shared<RevokingImds>();
    Config config;
    Host host{root};
    std::unique_ptr<HttpClient> http;

    Fixture()
    {
        *ps->state.acceptWithoutToken = true;  // the token is checked by RevokingImds, not by the stand-in
        auto imdsRef = imds;
        *ps->override = [imdsRef](const TestRequest & r) { return imdsRef->answer(r); };
        config.http.deadline = milliseconds{5000};
        config.http.backoffInitial = milliseconds{50};
        http = makeHttpClient(config.http);
    }
    ~Fixture() { fs::remove_all(root); }

    SourceData fetch()
    {
        FetchContext ctx{host, config, std::nullopt, ps->endpoint, http.get(), nullptr};
        return findProvider("ec2")->fetch(ctx);
    }
};

} // namespace

TEST(Ec2TokenRenewal, ATokenRevokedMidFetchIsRenewedOnceAndTheFetchCompletes)
{
    Fixture f;
    f.imds->revokeAfter = 3;  // instance-id, local-hostname, public-keys/ ... then 401
    SourceData d = f.fetch();
    EXPECT_EQ(d.instanceId, "i-0abcdef1234567890");
    EXPECT_EQ(d.localHostname, "ip-10-0-1-23.eu-west-1.compute.internal");
    EXPECT_EQ(d.publicKeys.size(), 2u);
    EXPECT_TRUE(d.userData.has_value());
    EXPECT_EQ(d.facts["platform"]["instance_type"], "t3.micro");
    // Revoked after 3 GETs, then again after each 3 served with the next token: the fetch's GETs
    // each get at most one renewal.
    std::lock_guard lock(f.imds->m);
    EXPECT_GE(f.imds->puts, 2);
    EXPECT_EQ(f.imds->refused, f.imds->puts - 1) << "each 401 led to exactly one new token";
}

TEST(Ec2TokenRenewal, OnlyTheRefusedGetIsRetried)
{
    Fixture f;
    f.imds->revokeAfter = 1;  // the first token is revoked right after instance-id
    SourceData d = f.fetch();
    EXPECT_EQ(d.instanceId, "i-0abcdef1234567890");
    auto reqs = f.ps->server->requests();
    ASSERT_GE(reqs.size(), 5u);
    EXPECT_EQ(reqs[0].path, "/latest/api/token");
    EXPECT_EQ(reqs[1].path, "/latest/meta-data/instance-id");
    EXPECT_EQ(reqs[2].path, "/latest/meta-data/local-hostname");  // 401: token revoked
    EXPECT_EQ(reqs[3].path, "/latest/api/token");                  // one new token
    EXPECT_EQ(reqs[4].path, "/latest/meta-data/local-hostname");  // the same GET, once more
    EXPECT_EQ(reqs[4].header("x-aws-ec2-metadata-token"), "AQAEA-token-generation-4==");
}

TEST(Ec2TokenRenewal, ASecond401IsTheErrorWithoutTheToken)
{
    Fixture f;
    f.imds->refuseAll = true;
    std::string error;
    auto t0 = steady_clock::now();
    try {
        f.fetch();
        ADD_FAILURE() << "fetch succeeded although every GET is refused";
    } catch (const Error & e) {
        error = e.what();
    }
    EXPECT_LT(steady_clock::now() - t0, seconds{3}) << "a 401 is not retried with backoff";
    EXPECT_NE(error.find("/latest/meta-data/instance-id"), std::string::npos) << error;
    EXPECT_NE(error.find("401"), std::string::npos) << error;
    EXPECT_EQ(error.find("AQAEA-token"), std::string::npos) << "the token never appears in an error: " << error;
    std::lock_guard lock(f.imds->m);
    EXPECT_EQ(f.imds->puts, 2) << "one token at the start, one renewal";
    EXPECT_EQ(f.imds->refused, 2) << "the GET and its one retry";
}

TEST(Ec2TokenRenewal, ImdsV1GetsAreNotRetriedOn401)
{
    // With ec2.allow_imdsv1 and the token PUT refused, GETs carry no token; a 401 then means IMDS
    // wants v2 after all, and no token to renew.
    Fixture f;
    f.config.ec2AllowImdsV1 = true;
    *f.ps->override = [](const TestRequest & r) -> std::optional<TestReply> {
        if (r.path == "/latest/api/token")
            return TestReply::code(403);
        return TestReply::code(401);
    };
    EXPECT_THROW(f.fetch(), Error);
    auto reqs = f.ps->server->requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].path, "/latest/api/token");
    EXPECT_EQ(reqs[1].path, "/latest/meta-data/instance-id");
}
