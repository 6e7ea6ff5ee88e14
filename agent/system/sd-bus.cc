#include "agent/system/sd-bus.hh"

#include <array>
#include <cerrno>
#include <cstring>

namespace imprint::bus {

namespace {

struct ErrorGuard
{
    sd_bus_error error = SD_BUS_ERROR_NULL;
    ~ErrorGuard() { sd_bus_error_free(&error); }
};

std::string describeCall(const char * interface, const char * member)
{
    return std::string(interface ? interface : "?") + "." + (member ? member : "?");
}

} // namespace

BusError::BusError(std::string call, std::string name, std::string description)
    : Error(call + ": " + description + " (" + name + ")"), call_(std::move(call)), name_(std::move(name))
{
}

bool BusError::isUnavailable() const
{
    static constexpr std::array names{
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.FileNotFound",
        "org.freedesktop.DBus.Error.NoServer",
        "System.Error.ENOENT",
        "System.Error.ECONNREFUSED",
        "System.Error.EACCES",
    };
    for (auto n : names)
        if (name_ == n)
            return true;
    return isDisconnect();
}

bool BusError::isDisconnect() const
{
    return name_ == "System.Error.ECONNRESET" || name_ == "System.Error.ENOTCONN"
        || name_ == "System.Error.EPIPE" || name_ == "org.freedesktop.DBus.Error.Disconnected";
}

void check(int r, std::string_view call, const sd_bus_error * error)
{
    if (r >= 0)
        return;
    if (error && sd_bus_error_is_set(error))
        throw BusError(std::string(call), error->name, error->message ? error->message : error->name);
    ErrorGuard g;
    sd_bus_error_set_errno(&g.error, r);
    throw BusError(std::string(call), g.error.name ? g.error.name : "System.Error",
        g.error.message ? g.error.message : std::strerror(-r));
}

// ---- Message

Message Message::ref(sd_bus_message * m)
{
    return Message(sd_bus_message_ref(m));
}

Message & Message::operator=(Message && o) noexcept
{
    if (this != &o) {
        sd_bus_message_unref(m_);
        m_ = std::exchange(o.m_, nullptr);
    }
    return *this;
}

Message::~Message()
{
    sd_bus_message_unref(m_);
}

void Message::openContainer(char type, const char * contents)
{
    check(sd_bus_message_open_container(m_, type, contents), describe("opening a container in"));
}

void Message::closeContainer()
{
    check(sd_bus_message_close_container(m_), describe("closing a container in"));
}

void Message::appendStrings(const std::vector<std::string> & strings)
{
    openContainer('a', "s");
    for (auto & s : strings)
        append("s", s.c_str());
    closeContainer();
}

std::string Message::member() const
{
    auto m = sd_bus_message_get_member(m_);
    return m ? m : "";
}

std::string Message::path() const
{
    auto p = sd_bus_message_get_path(m_);
    return p ? p : "";
}

std::string Message::describe(std::string_view what) const
{
    return std::string(what) + " a message of "
        + describeCall(sd_bus_message_get_interface(m_), sd_bus_message_get_member(m_));
}

// ---- Slot

Slot::~Slot()
{
    if (state_)
        sd_bus_slot_unref(state_->slot);
}

// ---- Bus

Bus Bus::openSystem()
{
    sd_bus * b = nullptr;
    check(sd_bus_open_system(&b), "opening the system bus");
    return Bus(b);
}

Bus & Bus::operator=(Bus && o) noexcept
{
    if (this != &o) {
        sd_bus_flush_close_unref(bus_);
        bus_ = std::exchange(o.bus_, nullptr);
    }
    return *this;
}

Bus::~Bus()
{
    sd_bus_flush_close_unref(bus_);
}

Message Bus::newMethodCall(const char * destination, const char * path, const char * interface,
    const char * member)
{
    sd_bus_message * m = nullptr;
    check(sd_bus_message_new_method_call(bus_, &m, destination, path, interface, member),
        "creating a call of " + describeCall(interface, member));
    return Message(m);
}

Message Bus::call(Message & call, std::chrono::microseconds timeout)
{
    ErrorGuard g;
    sd_bus_message * reply = nullptr;
    int r = sd_bus_call(bus_, call.get(), timeout.count(), &g.error, &reply);
    check(r, describeCall(sd_bus_message_get_interface(call.get()), sd_bus_message_get_member(call.get())), &g.error);
    return Message(reply);
}

Message Bus::call(const char * destination, const char * path, const char * interface, const char * member)
{
    auto m = newMethodCall(destination, path, interface, member);
    return call(m);
}

Slot Bus::matchSignal(const char * sender, const char * path, const char * interface, const char * member,
    std::function<void(Message &)> callback)
{
    Slot slot;
    slot.state_ = std::make_unique<Slot::State>();
    slot.state_->callback = std::move(callback);
    auto trampoline = [](sd_bus_message * m, void * userdata, sd_bus_error *) -> int {
        auto state = static_cast<Slot::State *>(userdata);
        try {
            auto msg = Message::ref(m);
            state->callback(msg);
        } catch (...) {
            // The contract says callbacks do not throw; never let an exception cross C code.
        }
        return 0;
    };
    check(sd_bus_match_signal(bus_, &slot.state_->slot, sender, path, interface, member, trampoline, slot.state_.get()),
        "subscribing to " + describeCall(interface, member));
    return slot;
}

Message Bus::getProperty(const char * destination, const char * path, const char * interface,
    const char * member, const char * type)
{
    ErrorGuard g;
    sd_bus_message * reply = nullptr;
    int r = sd_bus_get_property(bus_, destination, path, interface, member, &g.error, &reply, type);
    check(r, "reading property " + describeCall(interface, member) + " of " + path, &g.error);
    return Message(reply);
}

std::string Bus::getPropertyString(const char * destination, const char * path, const char * interface,
    const char * member)
{
    auto reply = getProperty(destination, path, interface, member, "s");
    const char * s = nullptr;
    reply.read("s", &s);
    return s ? s : "";
}

bool Bus::process()
{
    int r = sd_bus_process(bus_, nullptr);
    check(r, "processing D-Bus messages");
    return r > 0;
}

void Bus::wait(std::chrono::microseconds timeout)
{
    int r = sd_bus_wait(bus_, timeout.count());
    if (r == -EINTR)
        return;
    check(r, "waiting for D-Bus messages");
}

} // namespace imprint::bus
