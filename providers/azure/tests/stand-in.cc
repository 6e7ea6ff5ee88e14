// Azure for the shared tests: IMDS wants `Metadata: true` and an api-version (400 with Azure's
// error text otherwise); the wireserver serves the goal state and takes the health report.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

TestHandler imdsAndWireserver(const StandInState & state)
{
    return [=](const TestRequest & r) {
        if (r.path == "/machine/" && r.header("x-ms-version")) {
            if (r.query == "comp=goalstate" && r.method == "GET")
                return serveFixture(state, "goalstate.xml");
            if (r.query == "comp=health" && r.method == "POST")
                return TestReply::code(200);
            return TestReply::code(400);
        }
        if (r.header("metadata") != "true")
            return TestReply::text("{\"error\": \"Bad request. Required metadata header not specified\"}", 400);
        if (r.query.find("api-version=") == std::string::npos)
            return TestReply::text("{\"error\": \"Bad request. api-version was not specified\"}", 400);
        if (r.path == "/metadata/instance")
            return serveFixture(state, "instance.json");
        if (r.path == "/metadata/instance/compute/userData")
            return serveFixture(state, "userData");
        return TestReply::code(404);
    };
}

const RegisterProviderTable kTable{{
    .platform = "azure",
    .detectedOn = {{dmi({{"sys_vendor", "Microsoft Corporation"}, {"product_name", "Virtual Machine"},
                         {"chassis_asset_tag", "7783-7084-3265-9085-8269-3286-77"}}), "chassis_asset_tag"}},
    .nearMisses = {{{"chassis_asset_tag", "7783-7084-3265-9085-8269-3286-78"}}},
    .server = StandInServer{.primaryPath = "/metadata/instance", .probeQuery = "api-version=2021-08-01",
                            .requiresHeader = true, .handler = imdsAndWireserver},
    .basic = ExpectedIdentity{"02aab8a4-74ef-476e-8182-f6d2ba4166a6", "web-01", std::nullopt, 1, "Europe/Amsterdam"},
}};

} // namespace
} // namespace imprint::test
