// CloudStack's lease and route parsers on hostile files. Property: whatever they return is an
// IPv4 literal (it becomes a URL's host).
// fuzz-seeds: fixtures/leases/*
#include "providers/cloudstack/cloudstack.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <arpa/inet.h>

#include <cstdlib>

using namespace imprint;

namespace {

void mustBeIpv4(const std::optional<std::string> & a)
{
    in_addr out{};
    if (a && ::inet_pton(AF_INET, a->c_str(), &out) != 1)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    auto text = fuzz::asText(data, size);
    fuzz::expectOnlyError([&] {
        mustBeIpv4(serverAddressOfLease(text));
        mustBeIpv4(serverIdentifierOfDhclientLeases(text));
        mustBeIpv4(defaultGatewayOfRouteTable(text));
    });
    return 0;
}
