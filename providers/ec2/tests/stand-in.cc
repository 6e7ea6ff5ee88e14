// EC2 for the shared tests: IMDSv2 as AWS enforces it (a PUT for the token, with its TTL header;
// every GET with the token, else 401), the local signals, and what fixtures/basic is.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

const std::string kToken = "AQAEAFakeTokenValue==";

TestHandler imds(const StandInState & state)
{
    const std::string m = "/latest/meta-data/";
    RouteTable routes{{m + "instance-id", "instance-id"},
                      {m + "local-hostname", "local-hostname"},
                      {m + "hostname", "hostname"},
                      {m + "public-keys/", "public-keys"},
                      {m + "public-keys/0/openssh-key", "public-keys-0-openssh-key"},
                      {m + "public-keys/1/openssh-key", "public-keys-1-openssh-key"},
                      {m + "placement/availability-zone", "availability-zone"},
                      {m + "placement/region", "region"},
                      {m + "instance-type", "instance-type"},
                      {"/latest/user-data", "user-data"}};
    return [=](const TestRequest & r) {
        if (r.path == "/latest/api/token") {
            if (r.method != "PUT")
                return TestReply::code(405);
            if (!r.header("x-aws-ec2-metadata-token-ttl-seconds"))
                return TestReply::code(400);
            return TestReply::text(kToken);
        }
        if (r.method != "GET")
            return TestReply::code(405);
        if (r.header("x-aws-ec2-metadata-token") != kToken && !*state.acceptWithoutToken)
            return TestReply::code(401);
        return serveRoute(routes, state, r);
    };
}

const RegisterProviderTable kTable{{
    .platform = "ec2",
    .detectedOn = {
        {dmi({{"sys_vendor", "Amazon EC2"}, {"product_name", "t3.micro"}, {"product_uuid", "EC2E1916-9099-7CAF-FD21-012345ABCDEF"}}), "product_uuid"},
        {dmi({{"sys_vendor", "Xen"}, {"product_uuid", "45E12AEC-DCD1-B213-94ED-012345ABCDEF"}}), "product_uuid"},  // byte-swapped
        {{{"/sys/hypervisor/uuid", "ec2a8f3c-1d2e-4f5a-9b8c-7d6e5f4a3b2c\n"}}, "/sys/hypervisor/uuid"},
    },
    .nearMisses = {{{"product_uuid", "EC1E1916-9099-7CAF-FD21-012345ABCDEF"}}, {{"product_uuid", "not-a-uuid"}}},
    .server = StandInServer{.primaryPath = "/latest/meta-data/instance-id", .requiresHeader = true, .handler = imds},
    .basic = ExpectedIdentity{"i-0abcdef1234567890", "ip-10-0-1-23", "eu-west-1.compute.internal", 2, "Europe/Dublin"},
}};

} // namespace
} // namespace imprint::test
