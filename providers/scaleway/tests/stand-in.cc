// Scaleway for the shared tests: /conf?format=json openly; user-data only to a client whose TCP
// source port is below 1024 (403 and Scaleway's notice otherwise); 404 for an unset key.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

TestHandler metadataService(const StandInState & state)
{
    return [=](const TestRequest & r) {
        if (r.path.starts_with("/user_data")) {
            if (r.peerPort == 0 || r.peerPort >= 1024)
                return TestReply::text("# User data can only be read from a source port below 1024.\n", 403);
            return serveRoute({{"/user_data/cloud-init", "user-data"}}, state, r);
        }
        if (r.path == "/conf" && r.query == "format=json")
            return serveFixture(state, "conf.json");
        return TestReply::code(404);
    };
}

const RegisterProviderTable kTable{{
    .platform = "scaleway",
    .detectedOn = {{dmi({{"sys_vendor", "Scaleway"}, {"product_name", "SCW-DEV1-S"}}), "sys_vendor"},
                   {{{"/run/scaleway", ""}}, "/run/scaleway"}},
    .nearMisses = {{{"sys_vendor", "scaleway"}}},
    .server = StandInServer{.primaryPath = "/conf", .handler = metadataService},
    .basic = ExpectedIdentity{"7c1e4b2a-9f3d-4a6e-8b50-1d2c3e4f5a6b", "scw-guest", std::nullopt, 2, "Europe/Paris"},
}};

} // namespace
} // namespace imprint::test
