// UpCloud for the shared tests: one JSON document, open.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

const RegisterProviderTable kTable{{
    .platform = "upcloud",
    .detectedOn = {{dmi({{"sys_vendor", "UpCloud"}, {"product_name", "Cloud Server"}}), "sys_vendor"}},
    .nearMisses = {{{"sys_vendor", "Upcloud"}}},
    .server = StandInServer{.primaryPath = "/metadata/v1.json",
                            .handler = [](const StandInState & state) -> TestHandler {
                                return [=](const TestRequest & r) { return serveRoute({{"/metadata/v1.json", "v1.json"}}, state, r); };
                            }},
    .basic = ExpectedIdentity{"00a1b2c3-d4e5-4f60-8172-93a4b5c6d7e8", "upcloud-guest", "example.net", 2, "Europe/Helsinki"},
}};

} // namespace
} // namespace imprint::test
