#include "agent/error.hh"

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

} // namespace imprint
