#pragma once
// A bound on the memory a piece of third-party code may hold while it works on data from outside,
// where no input check can bound it: yaml-cpp's scanner keeps every token of a flow collection
// that might still turn out to be a mapping key ("- [a, a, ...]", "[[a, a, ...]]") before its
// parser emits a single event, so 16 MiB of such text grew past 1 GB. While a MemoryBudget lives
// on a thread, operator new on that thread counts the bytes it hands out (less those freed) and
// throws std::bad_alloc once they would pass the budget; the caller turns that into an error
// naming the document. Outside a budget, operator new is malloc as usual.

#include <cstddef>

namespace imprint {

class MemoryBudget
{
public:
    explicit MemoryBudget(std::size_t bytes);
    ~MemoryBudget();
    MemoryBudget(const MemoryBudget &) = delete;
    MemoryBudget & operator=(const MemoryBudget &) = delete;

    // Whether the latest budget on this thread refused an allocation: tells, after it is gone,
    // a std::bad_alloc of the budget from one of the system's.
    static bool latestExhausted();

    // False in builds with AddressSanitizer, whose own operator new cannot be replaced as well.
    static bool enforced();
};

} // namespace imprint
