// A Retry-After header and a Date header from a hostile server (agent/system/backoff): a
// bounded, non-negative wait or nothing, whatever the text. The first line is Retry-After, the
// rest the server's Date.
#include "agent/system/backoff.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <cstdlib>

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    auto text = fuzz::asText(data, size);
    fuzz::expectOnlyError([&] {
        auto newline = text.find('\n');
        std::string_view value = std::string_view(text).substr(0, newline);
        std::optional<std::string_view> serverDate;
        if (newline != std::string::npos)
            serverDate = std::string_view(text).substr(newline + 1);
        auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1795000000}};
        (void) parseHttpDate(value, now);
        if (auto wait = retryAfterDelay(value, serverDate, now))
            if (wait->count() < 0 || *wait > std::chrono::duration_cast<std::chrono::milliseconds>(maxRetryAfter))
                std::abort();
    });
    return 0;
}
