// Akamai for the shared tests: the token as the service enforces it (PUT only, with an expiry
// header, else 400; every other request with the token, else 401 with Akamai's error body), and
// JSON only to a client that accepts it.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

const std::string kToken = "5674ffa86f21340a6540e9917f734181ca69b786bbe422c4e81caee263eef35f";
const std::string kUnauthorized = "{\"errors\": [{\"reason\": \"Unauthorized\"}]}";

TestHandler metadataService(const StandInState & state)
{
    return [=](const TestRequest & r) {
        if (r.path == "/v1/token") {
            if (r.method != "PUT")
                return TestReply::code(405);
            if (!r.header("metadata-token-expiry-seconds"))
                return TestReply::code(400);
            return TestReply::text(kToken);
        }
        if (r.header("metadata-token") != kToken)
            return TestReply::text(kUnauthorized, 401);
        if (r.path == "/v1/user-data") {
            auto ud = fixtureFile(state.fixtureDir + "/user-data");
            return TestReply::text(ud ? *ud : "");
        }
        if (r.header("accept") != "application/json")
            return TestReply::text("id: 58231907\n");  // the text rendering, which imprint must not get
        return serveRoute({{"/v1/instance", "instance.json"}, {"/v1/ssh-keys", "ssh-keys.json"}}, state, r);
    };
}

const RegisterProviderTable kTable{{
    .platform = "akamai",
    .detectedOn = {{dmi({{"sys_vendor", "Linode"}, {"product_name", "Compute Instance"}}), "sys_vendor"},
                   {dmi({{"sys_vendor", "Akamai"}}), "sys_vendor"}},
    .nearMisses = {{{"sys_vendor", "Linode LLC"}}},
    .server = StandInServer{.primaryPath = "/v1/instance", .requiresHeader = true, .handler = metadataService},
    .basic = ExpectedIdentity{"58231907", "akamai-guest", std::nullopt, 2, "Asia/Tokyo"},
}};

} // namespace
} // namespace imprint::test
