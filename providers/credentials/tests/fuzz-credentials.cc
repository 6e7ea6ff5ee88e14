// The credentials source over hostile credentials: the input is split at NUL bytes into
// imprint.meta-data, system.hostname, firstboot.hostname and ssh.authorized_keys.root.
// Property: the answer always has an instance id, and parsing throws nothing but Error.
// fuzz-seeds: fixtures/*/imprint.meta-data
// fuzz-dict: yaml.dict
#include "providers/credentials/credentials.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <cstdlib>

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    auto text = fuzz::asText(data, size);
    const char * names[] = {kImprintMetaDataCredential, kSystemHostnameCredential, kFirstbootHostnameCredential,
                            kRootKeysCredential};
    CredentialSet set;
    std::size_t pos = 0;
    for (const char * name : names) {
        if (pos > text.size())
            break;
        auto end = text.find('\0', pos);
        auto part = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        set.values[name] = {std::string(part), std::string("credential '") + name + "'"};
        pos = end == std::string_view::npos ? text.size() + 1 : end + 1;
    }
    fuzz::expectOnlyError([&] {
        auto d = sourceDataFromCredentials(set, "/run/credentials/@system");
        if (d.instanceId.empty())
            std::abort();
        fuzz::checkSourceData(d);
    });
    return 0;
}
