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

// Parses a Retry-After value given as delta-seconds ("120"). HTTP dates are rare on metadata
// servers and are treated like an absent header (the computed backoff applies).
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

} // namespace imprint
