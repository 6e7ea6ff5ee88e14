// The config drive for the shared tests: its local signal (a file-system label; the drive's
// files are read from a directory, tested in configdrive's own tests).
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

const RegisterProviderTable kTable{{
    .platform = "configdrive",
    .detectedOn = {{{{"/dev/disk/by-label/config-2", ""}}, "config-2"}, {{{"/dev/disk/by-label/CONFIG-2", ""}}, "CONFIG-2"}},
}};

} // namespace
} // namespace imprint::test
