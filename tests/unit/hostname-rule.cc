// cloud-init's hostname/FQDN rule (util.get_hostname_fqdn + DataSource.get_hostname) on a table
// of cases, and the NixOS split into one label plus networking.domain.

#include "agent/system/error.hh"
#include "agent/normalize/normalize.hh"

#include <gtest/gtest.h>

using namespace imprint;
using nlohmann::json;

namespace {

struct Case
{
    const char * userData;       // cloud-config as JSON
    const char * localHostname;  // meta-data local-hostname, or nullptr
    const char * hostname;       // what cloud-init computes
    const char * fqdn;
};

const Case kCases[] = {
    {"{}", "web-1", "web-1", "web-1"},
    {"{}", "web-1.example.org", "web-1", "web-1.example.org"},
    {"{\"hostname\":\"app\"}", "web-1.example.org", "app", "web-1.example.org"},
    {"{\"hostname\":\"app.corp.example.com\"}", "web-1", "app", "app.corp.example.com"},
    {"{\"fqdn\":\"db.example.net\"}", "web-1", "db", "db.example.net"},
    {"{\"fqdn\":\"db.example.net\",\"hostname\":\"h\"}", "web-1", "h", "db.example.net"},
    {"{\"hostname\":\"solo\"}", nullptr, "solo", nullptr},
    {"{}", "10.1.2.3", "ip-10-1-2-3", "ip-10-1-2-3"},
    {"{}", "node.localdomain", "node", "node"},
    {"{}", nullptr, nullptr, nullptr},
};

} // namespace

TEST(HostnameRule, MatchesCloudInit)
{
    for (const auto & c : kCases) {
        SCOPED_TRACE(std::string(c.userData) + " / " + (c.localHostname ? c.localHostname : "(none)"));
        auto lh = c.localHostname ? std::optional<std::string>(c.localHostname) : std::nullopt;
        auto r = cloudInitHostname(json::parse(c.userData), lh, "user-data", "meta-data");
        EXPECT_EQ(r.hostname, c.hostname ? std::optional<std::string>(c.hostname) : std::nullopt);
        EXPECT_EQ(r.fqdn, c.fqdn ? std::optional<std::string>(c.fqdn) : std::nullopt);
    }
}

namespace {
InstanceData normalized(const std::string & userData, std::optional<std::string> localHostname)
{
    SourceData d;
    d.source = "nocloud";
    d.origin = "seed";
    d.instanceId = "iid";
    d.localHostname = std::move(localHostname);
    d.localHostnameOrigin = "key 'local-hostname' in seed/meta-data";
    d.userData = userData;
    d.userDataOrigin = "seed/user-data";
    Config config;
    config.rootDevice = "/dev/vda1";  // keep discovery off the build machine
    Host host("/nonexistent-root");
    return normalize(d, config, gatherMachineFacts(host)).instance;
}
} // namespace

TEST(HostnameRule, NixOsGetsOneLabelAndADomain)
{
    auto in = normalized("#cloud-config\nfqdn: a.b.example.com\n", std::nullopt);
    EXPECT_EQ(in.hostname, "a");
    EXPECT_EQ(in.domain, "b.example.com");
    EXPECT_EQ(in.fqdn, "a.b.example.com");
}

TEST(HostnameRule, PreferFqdnStillGivesOneLabel)
{
    auto in = normalized("#cloud-config\nhostname: short\nfqdn: long.example.com\nprefer_fqdn_over_hostname: true\n", std::nullopt);
    EXPECT_EQ(in.hostname, "long");
    EXPECT_EQ(in.domain, "example.com");
}

TEST(HostnameRule, LongFqdnIsSplitNotTruncated)
{
    std::string domain = std::string(60, 'd') + "." + std::string(60, 'e') + ".example.com";
    auto in = normalized("", "instance-1234567890." + domain);
    EXPECT_EQ(in.hostname, "instance-1234567890");
    EXPECT_EQ(in.domain, domain);
}

TEST(HostnameRule, InvalidNamesAreErrorsNamingTheKey)
{
    try {
        normalized("#cloud-config\nhostname: \"under_score_\"\n", std::nullopt);
        FAIL();
    } catch (const Error & e) {
        EXPECT_NE(std::string(e.what()).find("key 'hostname' in seed/user-data"), std::string::npos) << e.what();
    }
    try {
        normalized("", std::string(64, 'x'));
        FAIL();
    } catch (const Error & e) {
        EXPECT_NE(std::string(e.what()).find("local-hostname"), std::string::npos) << e.what();
    }
    EXPECT_THROW(normalized("#cloud-config\nfqdn: a..b\n", std::nullopt), Error);
    EXPECT_THROW(normalized("#cloud-config\nhostname: \"a b\"\n", std::nullopt), Error);
}

TEST(HostnameRule, PreserveHostname)
{
    auto in = normalized("#cloud-config\nhostname: x\npreserve_hostname: true\n", std::nullopt);
    EXPECT_TRUE(in.preserveHostname);
}
