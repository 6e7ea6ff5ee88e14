#include "agent/clock.hh"

#include <thread>

namespace imprint {

namespace {
class SystemClock : public Clock
{
public:
    std::chrono::steady_clock::time_point now() const override { return std::chrono::steady_clock::now(); }
    std::chrono::system_clock::time_point wallNow() const override { return std::chrono::system_clock::now(); }
    void sleepFor(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }
};
} // namespace

Clock & systemClock()
{
    static SystemClock clock;
    return clock;
}

} // namespace imprint
