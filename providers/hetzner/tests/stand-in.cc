// Hetzner for the shared tests: YAML meta-data, and 204 for user data that is not there.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

TestHandler metadataServer(const StandInState & state)
{
    return [=](const TestRequest & r) {
        if (r.path == "/hetzner/v1/userdata") {
            auto ud = fixtureFile(state.fixtureDir + "/userdata");
            return ud ? TestReply::text(*ud) : TestReply::code(204);
        }
        return serveRoute({{"/hetzner/v1/metadata", "metadata"}}, state, r);
    };
}

const RegisterProviderTable kTable{{
    .platform = "hetzner",
    .detectedOn = {{dmi({{"sys_vendor", "Hetzner"}, {"product_name", "vServer"}}), "sys_vendor"}},
    .nearMisses = {{{"sys_vendor", "hetzner"}}},
    .server = StandInServer{.primaryPath = "/hetzner/v1/metadata", .handler = metadataServer},
    .basic = ExpectedIdentity{"42424242", "my-server", "example.org", 1, ""},
}};

} // namespace
} // namespace imprint::test
