#pragma once
// Time behind a tiny interface, so that waits (locks, retries, rebuild timeouts) are testable
// without sleeping and clock jumps can be injected.

#include <chrono>

namespace imprint {

class Clock
{
public:
    virtual ~Clock() = default;
    virtual std::chrono::steady_clock::time_point now() const = 0;           // for deadlines
    virtual std::chrono::system_clock::time_point wallNow() const = 0;       // for records
    virtual void sleepFor(std::chrono::milliseconds duration) = 0;
};

Clock & systemClock();

} // namespace imprint
