// A Retry-After header and a Date header from a hostile server (agent/system/backoff): a
// bounded, non-negative wait or nothing, whatever the text. The first line is Retry-After, the
// second the server's Date, an optional third the number libcurl read (CURLINFO_RETRY_AFTER).
#include "agent/system/backoff.hh"
#include "tests/fuzz/fuzz-common.hh"

#include <cstdlib>
#include <string>

using namespace imprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size)
{
    auto text = fuzz::asText(data, size);
    fuzz::expectOnlyError([&] {
        auto newline = text.find('\n');
        std::string_view value = text.substr(0, newline);
        std::optional<std::string_view> serverDate;
        long long curlSeconds = 0;
        if (newline != std::string_view::npos) {
            serverDate = text.substr(newline + 1);
            if (auto second = serverDate->find('\n'); second != std::string_view::npos) {
                curlSeconds = std::strtoll(std::string(serverDate->substr(second + 1)).c_str(), nullptr, 10);
                serverDate = serverDate->substr(0, second);
            }
        }
        auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1795000000}};
        (void) parseHttpDate(value);
        if (auto wait = retryAfterDelay(value, serverDate, now, curlSeconds))
            if (wait->count() < 0 || *wait > std::chrono::duration_cast<std::chrono::milliseconds>(maxRetryAfter))
                std::abort();
    });
    return 0;
}
