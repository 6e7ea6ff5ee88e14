// Vultr for the shared tests: v1.json and the decoded user-data; GET only (else 405, as Vultr
// documents); no user-data is 404.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

TestHandler metadataServer(const StandInState & state)
{
    return [=](const TestRequest & r) {
        if (r.method != "GET")
            return TestReply::code(405);
        return serveRoute({{"/v1.json", "v1.json"}, {"/latest/user-data", "user-data"}, {"/user-data/user-data", "user-data"}},
                          state, r);
    };
}

const RegisterProviderTable kTable{{
    .platform = "vultr",
    .detectedOn = {{dmi({{"sys_vendor", "Vultr"}, {"product_name", "VC2"}}), "sys_vendor"},
                   {{{"/proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 vultr quiet\n"}}, "kernel command line"}},
    .nearMisses = {{{"sys_vendor", "Vultr Holdings"}}},
    .server = StandInServer{.primaryPath = "/v1.json", .handler = metadataServer},
    .basic = ExpectedIdentity{"5f0c2a7e-3b91-4d5c-9e1a-7d2f44c8b613", "vultr-guest", std::nullopt, 2, "Europe/Berlin"},
}};

} // namespace
} // namespace imprint::test
