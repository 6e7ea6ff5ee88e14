// Oracle Cloud for the shared tests: IMDSv2 refuses a request without `Authorization: Bearer Oracle`.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

TestHandler imds(const StandInState & state)
{
    return [=](const TestRequest & r) {
        if (r.header("authorization") != "Bearer Oracle")
            return TestReply::text("{\"code\": \"NotAuthorized\"}", 401);
        return serveRoute({{"/opc/v2/instance/", "instance.json"}}, state, r);
    };
}

const RegisterProviderTable kTable{{
    .platform = "oracle",
    .detectedOn = {{dmi({{"sys_vendor", "QEMU"}, {"chassis_asset_tag", "OracleCloud.com"}}), "chassis_asset_tag"}},
    .nearMisses = {{{"chassis_asset_tag", "OracleCloud"}}},
    .server = StandInServer{.primaryPath = "/opc/v2/instance/", .requiresHeader = true, .handler = imds},
    .basic = ExpectedIdentity{"ocid1.instance.oc1.eu-frankfurt-1.antheljexampleuniqueid", "oci-app-1", std::nullopt, 1, "Europe/Madrid"},
}};

} // namespace
} // namespace imprint::test
