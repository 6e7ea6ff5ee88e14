// Incus / LXD for the shared tests: the guest API over a unix socket. (Detection by the socket
// itself is in incus.cc's tests: a table's files cannot be sockets.)
#include "tests/support/platform-server-helpers.hh"

namespace imprint::test {
namespace {

TestHandler guestApi(const StandInState & state)
{
    return [=](const TestRequest & r) {
        return serveRoute({{"/1.0/meta-data", "meta-data"}, {"/1.0/config/cloud-init.user-data", "user-data"}}, state, r);
    };
}

const RegisterProviderTable kTable{{
    .platform = "incus",
    .server = StandInServer{.primaryPath = "/1.0/meta-data", .unixSocket = true, .handler = guestApi},
    .basic = ExpectedIdentity{"3f2a9c1e-5b7d-4e8f-a1b2-c3d4e5f60718", "nixos-lxc-1", std::nullopt, 1, "Europe/Paris"},
}};

} // namespace
} // namespace imprint::test
