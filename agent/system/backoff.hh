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

// Parses a Retry-After value given as delta-seconds ("120"); anything else is nullopt (see
// retryAfterDelay for the HTTP-date form).
inline std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value)
{
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r' || value.back() == '\n'))
        value.remove_suffix(1);
    if (value.empty() || value.size() > 9)
        return std::nullopt;
    long long seconds = 0;
    for (char c : value) {
        if (c < '0' || c > '9')
            return std::nullopt;
        seconds = seconds * 10 + (c - '0');
    }
    return std::chrono::milliseconds{seconds * 1000};
}

// Parses an HTTP-date (RFC 9110 section 5.6.7): the IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT"
// that senders must use, and the obsolete forms recipients must still accept, RFC 850
// "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994". Names are
// case-sensitive, as the grammar says; a day name that does not match the date, an impossible
// date or time, or anything around it is nullopt. An RFC 850 two-digit year is read as the
// most recent year with those digits that is not more than 50 years after `now`'s year.
// Seconds since the epoch (the form's own resolution; wide enough for any four-digit year).
std::optional<std::chrono::sys_seconds> parseHttpDate(std::string_view text, std::chrono::system_clock::time_point now);

// The wait a Retry-After value asks for (RFC 9110 section 10.2.3), or nullopt when it is neither
// form (the computed backoff then applies). Delta-seconds as parseRetryAfter. An HTTP-date is
// taken relative to the server's own Date header when that parses (both stamps then come from
// the same clock, which matters at first boot, when ours may be far off), else to `localNow`;
// a date in the past means no wait; the wait is capped at maxRetryAfter. The overall deadline is
// applied afterwards by decideRetry, as for delta-seconds.
std::optional<std::chrono::milliseconds> retryAfterDelay(std::string_view value,
                                                         std::optional<std::string_view> serverDate,
                                                         std::chrono::system_clock::time_point localNow);

} // namespace imprint
