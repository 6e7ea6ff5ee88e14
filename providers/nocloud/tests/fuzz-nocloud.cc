// NoCloud's ds= selector (kernel command line, DMI serial) and meta-data public-keys in all
// three shapes. The first byte chooses which.
// fuzz-dict: yaml.dict
#include "agent/fetch/documents.hh"
#include "providers/nocloud/nocloud.hh"
#include "tests/fuzz/fuzz-common.hh"

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    if (size == 0)
        return 0;
    auto text = fuzz::asText(data + 1, size - 1);
    if (data[0] & 1) {
        fuzz::expectOnlyError([&] { (void) parseNoCloudSelector(std::string(text)); });
    } else {
        fuzz::expectOnlyError([&] {
            auto meta = parseYamlOrJson(text, "fuzz");
            if (meta.is_object() && meta.contains("public-keys"))
                (void) publicKeysFromMetaData(meta["public-keys"], "fuzz");
            else
                (void) publicKeysFromMetaData(meta, "fuzz");
        });
    }
    return 0;
}
