// systemd credentials for the shared tests: the machines detection must recognise (a credential
// PID 1 received, in /run/credentials/@system). No server: credentials are local.
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

const RegisterProviderTable kTable{{
    .platform = "credentials",
    .detectedOn = {
        {{{"/run/credentials/@system/system.hostname", "web-07"}}, "system.hostname"},
        {{{"/run/credentials/@system/imprint.meta-data", "instance-id: i-1\n"}}, "imprint.meta-data"},
        {{{"/run/credentials/@system/ssh.authorized_keys.root", "ssh-ed25519 AAAA x\n"}}, "ssh.authorized_keys.root"},
    },
}};

} // namespace
} // namespace imprint::test
