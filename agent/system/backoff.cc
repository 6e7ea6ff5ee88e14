#include "agent/system/backoff.hh"

#include <curl/curl.h>

#include <string>

namespace imprint {

using namespace std::chrono;

std::optional<sys_seconds> parseHttpDate(std::string_view text)
{
    time_t when = curl_getdate(std::string(text).c_str(), nullptr);
    if (when == -1)
        return std::nullopt;
    return sys_seconds{seconds{when}};
}

std::optional<milliseconds> retryAfterDelay(std::string_view value, std::optional<std::string_view> serverDate,
                                            system_clock::time_point localNow, long long curlSeconds)
{
    auto when = parseHttpDate(value);
    if (!when) {
        // Delta-seconds, read by libcurl. Its 0 says "absent or unreadable" as well as "0": both
        // take the computed backoff, which never retries at once.
        if (curlSeconds <= 0)
            return std::nullopt;
        return duration_cast<milliseconds>(std::min(seconds{curlSeconds}, seconds{maxRetryAfter}));
    }
    sys_seconds reference = floor<seconds>(localNow);
    if (serverDate)
        if (auto date = parseHttpDate(*serverDate))
            reference = *date;
    if (*when <= reference)
        return milliseconds{0};
    // Seconds, not the clock's nanoseconds: a year like 9999 must not overflow.
    seconds wait = *when - reference;
    if (wait > maxRetryAfter)
        wait = maxRetryAfter;
    return duration_cast<milliseconds>(wait);
}

} // namespace imprint
