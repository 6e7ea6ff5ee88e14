// The process's replaceable operator new and delete, counting against the thread's MemoryBudget
// when one is active. Sizes are malloc_usable_size(), the same on the way in and out, so memory
// allocated before the budget and freed under it only lowers the count.

#include "agent/system/memory-budget.hh"

#include <cstdlib>
#include <malloc.h>
#include <new>

// AddressSanitizer brings its own operator new and delete, and mixing them with these is a
// mismatch it reports: under it the budget is not enforced (MemoryBudget::enforced() says so).
#if defined(__SANITIZE_ADDRESS__)
#define IMPRINT_BUDGET_ENFORCED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IMPRINT_BUDGET_ENFORCED 0
#endif
#endif
#ifndef IMPRINT_BUDGET_ENFORCED
#define IMPRINT_BUDGET_ENFORCED 1
#endif

namespace imprint {

namespace {

struct BudgetState
{
    bool active = false;
    bool exhausted = false;
    long long used = 0;
    long long limit = 0;
};

thread_local BudgetState tBudget;

} // namespace

MemoryBudget::MemoryBudget(std::size_t bytes)
{
    tBudget = BudgetState{true, false, 0, static_cast<long long>(bytes)};
}

MemoryBudget::~MemoryBudget()
{
    tBudget.active = false;
}

bool MemoryBudget::enforced()
{
    return IMPRINT_BUDGET_ENFORCED;
}

bool MemoryBudget::latestExhausted()
{
    return tBudget.exhausted;
}

} // namespace imprint

#if IMPRINT_BUDGET_ENFORCED
namespace {

void * allocate(std::size_t size)
{
    using imprint::tBudget;
    if (size == 0)
        size = 1;
    void * p = std::malloc(size);
    if (!p)
        throw std::bad_alloc();
    if (tBudget.active) {
        auto bytes = static_cast<long long>(malloc_usable_size(p));
        if (tBudget.used + bytes > tBudget.limit) {
            std::free(p);
            tBudget.exhausted = true;
            throw std::bad_alloc();
        }
        tBudget.used += bytes;
    }
    return p;
}

void release(void * p) noexcept
{
    using imprint::tBudget;
    if (!p)
        return;
    if (tBudget.active)
        tBudget.used -= static_cast<long long>(malloc_usable_size(p));
    std::free(p);
}

} // namespace

void * operator new(std::size_t size) { return allocate(size); }
void * operator new[](std::size_t size) { return allocate(size); }
void operator delete(void * p) noexcept { release(p); }
void operator delete[](void * p) noexcept { release(p); }
void operator delete(void * p, std::size_t) noexcept { release(p); }
void operator delete[](void * p, std::size_t) noexcept { release(p); }
#endif
