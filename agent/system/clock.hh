#pragma once
// Time behind a tiny interface, so that waits (locks, retries, rebuild timeouts) are testable
// without sleeping and clock jumps can be injected. The HTTP client's retries use it too: now()
// for the deadline, sleepFor() between attempts, jitter() for the backoff, wallNow() for a
// Retry-After given as a date.

#include <chrono>

namespace imprint {

class Clock
{
public:
    virtual ~Clock() = default;
    virtual std::chrono::steady_clock::time_point now() const = 0;           // for deadlines
    virtual std::chrono::system_clock::time_point wallNow() const = 0;       // for records
    virtual void sleepFor(std::chrono::milliseconds duration) = 0;
    // A random sample, uniform in [0, 1], to spread retries of many machines booting at once.
    // Not pure: clocks that never drive a retry need not care; fakes override it to pin it down.
    virtual double jitter();
};

Clock & systemClock();

} // namespace imprint
