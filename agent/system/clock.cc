#include "agent/system/clock.hh"

#include <mutex>
#include <random>
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

double Clock::jitter()
{
    static std::mutex mutex;
    static std::mt19937_64 rng{std::random_device{}()};
    std::lock_guard lock(mutex);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

Clock & systemClock()
{
    static SystemClock clock;
    return clock;
}

} // namespace imprint
