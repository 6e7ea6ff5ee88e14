// Akamai's /v1/instance and /v1/ssh-keys. The first byte chooses which. Property: a user
// given keys of their own has a valid NixOS user name.
// fuzz-seeds: fixtures/*/*.json
#include "agent/normalize/instance.hh"
#include "providers/akamai/akamai.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <cstdlib>

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    if (size == 0)
        return 0;
    auto text = fuzz::asText(data + 1, size - 1);
    fuzz::expectOnlyError([&] {
        if (data[0] & 1) {
            fuzz::checkSourceData(parseAkamaiInstance(text, "fuzz"));
            return;
        }
        SourceData d;
        takeAkamaiKeys(d, text, "fuzz", "admin");
        for (const auto & [user, keys] : d.userPublicKeys)
            if (!isValidUserName(user) || user == "root" || user == "admin")
                std::abort();
    });
    return 0;
}
