#pragma once
// Retry timing as pure functions: no clock, no randomness of their own. The HTTP client feeds
// them the attempt number, a jitter sample and the time left, so a table of inputs in a unit
// test pins the whole retry schedule down.

#include <chrono>
#include <optional>
#include <string_view>

namespace imprint {

struct BackoffPolicy
{
    std::chrono::milliseconds initial{250};
    std::chrono::milliseconds max{5000};
};

// The delay before retry number `retry` (1 = the first retry): initial * 2^(retry-1), capped at
// `max`, then "equal jitter": half of it fixed, the other half scaled by `jitter` in [0, 1].
// Half fixed so a retry never comes immediately; half random so many machines booting at once
// don't hit the metadata server in lockstep.
inline std::chrono::milliseconds backoffDelay(const BackoffPolicy & policy, int retry, double jitter)
{
    using std::chrono::milliseconds;
    if (retry < 1)
        return milliseconds{0};
    if (jitter < 0)
        jitter = 0;
    if (jitter > 1)
        jitter = 1;
    long long cap = policy.max.count() < 0 ? 0 : policy.max.count();
    long long base = policy.initial.count() < 0 ? 0 : policy.initial.count();
    // Double without overflowing: stop as soon as the cap is reached.
    for (int i = 1; i < retry && base < cap; ++i)
        base *= 2;
    if (base > cap)
        base = cap;
    long long half = base / 2;
    return milliseconds{base - half + static_cast<long long>(static_cast<double>(half) * jitter)};
}

// What to do after a transient failure: wait `delay` and try again, or give up.
struct RetryDecision
{
    bool retry = false;
    std::chrono::milliseconds delay{0};
};

// `retry` is the number of the retry being considered (1 = first), `maxRetries` how many are
// allowed, `remaining` the time left before the overall deadline. A server's Retry-After takes
// the place of the computed delay (it knows its own load), but never beyond the deadline: a
// retry that could not even start before the deadline is not attempted.
inline RetryDecision decideRetry(const BackoffPolicy & policy, int retry, int maxRetries, double jitter,
                                 std::chrono::milliseconds remaining,
                                 std::optional<std::chrono::milliseconds> retryAfter = std::nullopt)
{
    if (retry > maxRetries || remaining.count() <= 0)
        return {};
    auto delay = retryAfter ? *retryAfter : backoffDelay(policy, retry, jitter);
    if (delay.count() < 0)
        delay = std::chrono::milliseconds{0};
    if (delay >= remaining)
        return {};
    return {true, delay};
}

// The longest wait a Retry-After can ask for, in either form: nine digits of delta-seconds.
// Far beyond any deadline, so decideRetry gives up; the bound only keeps the arithmetic finite.
inline constexpr std::chrono::seconds maxRetryAfter{999'999'999};

// An HTTP-date (RFC 9110 section 5.6.7) as libcurl reads it (curl_getdate): IMF-fixdate, RFC 850
// and asctime, and the looser spellings curl also takes. nullopt when curl makes no date of it.
std::optional<std::chrono::sys_seconds> parseHttpDate(std::string_view text);

// The wait a Retry-After asks for (RFC 9110 section 10.2.3), or nullopt when it asks for none
// that can be read (the computed backoff then applies). `curlSeconds` is libcurl's reading of the
// header (CURLINFO_RETRY_AFTER: 0 when absent or unreadable), which serves the delta-seconds form.
// A date is measured against the server's own Date header when that parses, not against the
// local clock as CURLINFO_RETRY_AFTER does: at first boot ours may be years off, and both stamps
// then come from one clock. `localNow` is the reference only without a Date. A date in the past
// means no wait; every wait is capped at maxRetryAfter, and decideRetry applies the deadline.
std::optional<std::chrono::milliseconds> retryAfterDelay(std::string_view value,
                                                         std::optional<std::string_view> serverDate,
                                                         std::chrono::system_clock::time_point localNow,
                                                         long long curlSeconds);

} // namespace imprint
