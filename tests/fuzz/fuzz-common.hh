#pragma once
// Shared by the fuzz targets: the only exception a parser may throw on hostile input is
// imprint::Error (a clear message, exit code 1). Anything else escaping — std::out_of_range,
// nlohmann's type_error, a YAML::Exception — is a bug, and libFuzzer reports it as a crash.

#include "agent/system/error.hh"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace imprint::fuzz {

inline std::string_view asText(const std::uint8_t * data, std::size_t size)
{
    return {reinterpret_cast<const char *>(data), size};
}

template<typename F>
bool expectOnlyError(F && f)
{
    try {
        f();
        return true;
    } catch (const imprint::Error &) {
        return false;
    }
}

} // namespace imprint::fuzz

#include "providers/provider.hh"

namespace imprint::fuzz {

// Whatever a document parser returns goes on to normalize(); its strings must be safe to carry
// there.
inline void checkSourceData(const imprint::SourceData & d)
{
    (void) d.instanceId.size();
    for (const auto & k : d.publicKeys)
        (void) k.size();
}

} // namespace imprint::fuzz

// A provider's fuzz target for one parser of one document: `parse(text, origin)` returns
// SourceData and may throw only imprint::Error. Used by providers/<name>/tests/fuzz-*.cc.
#define IMPRINT_FUZZ_DOCUMENT_PARSER(parse)                                                  \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)        \
    {                                                                                        \
        auto text = imprint::fuzz::asText(data, size);                                       \
        imprint::fuzz::expectOnlyError([&] { imprint::fuzz::checkSourceData(parse(text, "fuzz")); }); \
        return 0;                                                                            \
    }
