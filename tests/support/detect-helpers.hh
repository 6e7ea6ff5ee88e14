#pragma once
// Fake machines for detection tests: a temporary root with DMI files, by-label entries and
// sockets where a platform puts them, and detection run on it.

#include "agent/detect/detect.hh"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace imprint::test {

class FakeRoot
{
public:
    FakeRoot();
    ~FakeRoot();
    FakeRoot(const FakeRoot &) = delete;
    FakeRoot & operator=(const FakeRoot &) = delete;
    const std::string & dir() const { return dir_; }
    void file(const std::string & hostPath, const std::string & content);
    void dmi(const std::map<std::string, std::string> & values);  // each value gets the kernel's newline
    void socket(const std::string & hostPath);                    // a listening-ready unix socket
    std::optional<Detection> detect(const Config & config = Config{}) const;

private:
    std::string dir_;
    std::vector<int> sockets_;
};

// A laptop's DMI, the baseline most fake roots start from.
extern const std::map<std::string, std::string> kLaptop;

// `base` with the fields of `over` replaced.
std::map<std::string, std::string> with(std::map<std::string, std::string> base, const std::map<std::string, std::string> & over);

} // namespace imprint::test
