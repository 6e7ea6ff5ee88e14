#include "agent/system/error.hh"

#include <new>

namespace imprint {

Error::Error(std::string message, ExitCode code) : message_(std::move(message)), code_(code) {}

Error & Error::addContext(std::string context)
{
    context_.push_back(std::move(context));
    rendered_.clear();
    return *this;
}

const char * Error::what() const noexcept
{
    if (rendered_.empty()) {
        std::string out;
        for (auto it = context_.rbegin(); it != context_.rend(); ++it) {
            out += *it;
            out += ": ";
        }
        out += message_;
        rendered_ = std::move(out);
    }
    return rendered_.c_str();
}

Failure describeFailure(std::exception_ptr failure) noexcept
{
    try {
        std::rethrow_exception(failure);
    } catch (const Error & e) {
        return {e.what(), e.exitCode()};
    } catch (const std::bad_alloc &) {
        return {"out of memory", ExitCode::Failed};
    } catch (const std::exception & e) {
        return {std::string("unexpected failure: ") + e.what(), ExitCode::Failed};
    } catch (...) {
        return {"unexpected failure of an unknown kind", ExitCode::Failed};
    }
}

} // namespace imprint
