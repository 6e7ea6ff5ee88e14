// GCE for the shared tests: every request needs `Metadata-Flavor: Google` (403 without, as the
// real server says), the local signals, and what fixtures/basic is.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

TestHandler metadataServer(const StandInState & state)
{
    const std::string v1 = "/computeMetadata/v1";
    RouteTable routes{{v1 + "/instance/id", "id"},
                      {v1 + "/instance/hostname", "hostname"},
                      {v1 + "/instance/zone", "zone"},
                      {v1 + "/instance/machine-type", "machine-type"},
                      {v1 + "/project/project-id", "project-id"},
                      {v1 + "/instance/attributes/ssh-keys", "instance-ssh-keys"},
                      {v1 + "/instance/attributes/block-project-ssh-keys", "block-project-ssh-keys"},
                      {v1 + "/project/attributes/ssh-keys", "project-ssh-keys"},
                      {v1 + "/instance/attributes/user-data", "user-data"}};
    return [=](const TestRequest & r) {
        if (r.header("metadata-flavor") != "Google")
            return TestReply::text("Missing Metadata-Flavor:Google header.", 403);
        return serveRoute(routes, state, r);
    };
}

const RegisterProviderTable kTable{{
    .platform = "gce",
    .detectedOn = {
        {dmi({{"sys_vendor", "Google"}, {"product_name", "Google Compute Engine"}, {"product_serial", "GoogleCloud-8F1E2D3C"}}), "product_name"},
        {dmi({{"sys_vendor", "QEMU"}, {"product_name", "Standard PC"}, {"product_serial", "GoogleCloud-8F1E2D3C"}}), "product_serial"},
    },
    .nearMisses = {{{"product_name", "Google Compute Engine Emulator"}}, {{"product_serial", "Google-Cloud-123"}}},
    .server = StandInServer{.primaryPath = "/computeMetadata/v1/instance/id", .requiresHeader = true, .handler = metadataServer},
    // root's key; alice and carol get their own users
    .basic = ExpectedIdentity{"4520851129873650412", "build-runner-with-a-deliberately-long-instance-name",
                              "europe-west1-b.c.my-project-123456.internal", 1, "Europe/Brussels"},
}};

} // namespace
} // namespace imprint::test
