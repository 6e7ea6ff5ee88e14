// DigitalOcean for the shared tests: one JSON document.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

const RegisterProviderTable kTable{{
    .platform = "digitalocean",
    .detectedOn = {{dmi({{"sys_vendor", "DigitalOcean"}, {"product_name", "Droplet"}}), "sys_vendor"}},
    .nearMisses = {{{"sys_vendor", "DigitalOcean, LLC"}}},
    .server = StandInServer{.primaryPath = "/metadata/v1.json",
                            .handler = [](const StandInState & state) -> TestHandler {
                                return [=](const TestRequest & r) { return serveRoute({{"/metadata/v1.json", "v1.json"}}, state, r); };
                            }},
    .basic = ExpectedIdentity{"2756294", "sample-droplet", std::nullopt, 1, "America/New_York"},
}};

} // namespace
} // namespace imprint::test
