#include "agent/apply/memory-check.hh"
#include "agent/system/error.hh"

#include <charconv>

namespace imprint {

namespace {

std::optional<std::uint64_t> kilobytes(std::string_view rest)
{
    auto start = rest.find_first_not_of(" \t");
    if (start == std::string_view::npos)
        return std::nullopt;
    rest.remove_prefix(start);
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (ec != std::errc())
        return std::nullopt;
    std::string_view unit(end, rest.data() + rest.size() - end);
    while (!unit.empty() && (unit.back() == ' ' || unit.back() == '\t' || unit.back() == '\r'))
        unit.remove_suffix(1);
    auto firstUnit = unit.find_first_not_of(" \t");
    unit = firstUnit == std::string_view::npos ? std::string_view() : unit.substr(firstUnit);
    if (unit != "kB" && !unit.empty())
        return std::nullopt;
    return value;
}

} // namespace

MemInfo parseMemInfo(std::string_view text)
{
    MemInfo info;
    while (!text.empty()) {
        auto eol = text.find('\n');
        auto line = text.substr(0, eol);
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
        auto colon = line.find(':');
        if (colon == std::string_view::npos)
            continue;
        auto key = line.substr(0, colon);
        auto value = kilobytes(line.substr(colon + 1));
        if (key == "MemTotal")
            info.memTotalKb = value;
        else if (key == "MemAvailable")
            info.memAvailableKb = value;
        else if (key == "SwapFree")
            info.swapFreeKb = value;
    }
    return info;
}

std::optional<std::string> memoryShortfall(const Host & host, std::uint64_t minMb)
{
    if (minMb == 0)
        return std::nullopt;
    std::optional<std::string> text;
    try {
        text = host.readFile("/proc/meminfo");
    } catch (const Error &) {
        return std::nullopt;
    }
    if (!text)
        return std::nullopt;
    auto info = parseMemInfo(*text);
    if (!info.memAvailableKb)
        return std::nullopt;
    std::uint64_t availableMb = (*info.memAvailableKb + info.swapFreeKb.value_or(0)) / 1024;
    if (availableMb >= minMb)
        return std::nullopt;
    return "only " + std::to_string(availableMb) + " MiB of memory available (MemAvailable + SwapFree), "
        "rebuild.min_memory_mb is " + std::to_string(minMb) + ": evaluating a NixOS system needs about "
        "0.6-1.1 GB, so nixos-rebuild would likely be OOM-killed. Skipping the rebuild; the overlay is "
        "committed and the host name applied live. Add memory or swap, lower rebuild.min_memory_mb, "
        "or build the system elsewhere and switch to it (README: prebuilt toplevel)";
}

} // namespace imprint
