#pragma once
// Errors in the style of Nix: one exception type that gathers context while it unwinds
// ("while reading meta-data from /dev/sr0"), and one top-level handler (main.cc) that maps the
// kind to an exit code and prints a single line.

#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace imprint {

enum class ExitCode : int {
    Ok = 0,
    Failed = 1,
    Usage = 2,      // bad command line or configuration
    NoSource = 3,   // no platform identified from local signals
};

class Error : public std::exception
{
public:
    explicit Error(std::string message, ExitCode code = ExitCode::Failed);

    // Adds the outer context of the failure; the outermost context is printed first.
    Error & addContext(std::string context);

    ExitCode exitCode() const { return code_; }
    const std::string & message() const { return message_; }
    const std::vector<std::string> & context() const { return context_; }

    // "outer: inner: message" on one line; what the user reads.
    const char * what() const noexcept override;

private:
    std::string message_;
    std::vector<std::string> context_;  // innermost first
    ExitCode code_;
    mutable std::string rendered_;
};

// Bad command line or configuration file (exit 2).
class UsageError : public Error
{
public:
    explicit UsageError(std::string message) : Error(std::move(message), ExitCode::Usage) {}
};

// No platform was identified (exit 3). Never raised after a network request.
class NoSourceError : public Error
{
public:
    explicit NoSourceError(std::string message) : Error(std::move(message), ExitCode::NoSource) {}
};

// What a failure says to the user, and the exit code it maps to.
struct Failure
{
    std::string message;
    ExitCode code;
};

// The one handler: any exception (imprint's Error with its context and kind; anything else, such
// as std::bad_alloc or a library's exception, as an unexpected failure) becomes one line and an
// exit code. Call it in a catch (...) block with std::current_exception().
Failure describeFailure(std::exception_ptr failure) noexcept;

// Runs `f`; any imprint::Error escaping it gets `context` added (as the outer context).
template<typename F>
auto withContext(const std::string & context, F && f) -> decltype(f())
{
    try {
        return f();
    } catch (Error & e) {
        e.addContext(context);
        throw;
    }
}

} // namespace imprint
