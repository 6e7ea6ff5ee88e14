// VMware for the shared tests: DMI alone is no signal (the tool and its guestinfo are; see
// vmware.integration.cc, which runs a stand-in vmware-rpctool).
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

const RegisterProviderTable kTable{{
    .platform = "vmware",
    .nearMisses = {{{"sys_vendor", "VMware, Inc."}, {"product_name", "VMware Virtual Platform"}}},
}};

} // namespace
} // namespace imprint::test
