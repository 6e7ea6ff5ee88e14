#pragma once
// A small RAII layer over libsystemd's sd-bus: a bus connection, messages and slots that free
// themselves, and one error type. Every failure throws BusError, which carries the D-Bus error
// name (org.freedesktop.systemd1.NoSuchUnit, System.Error.ECONNRESET, ...) and the call that
// failed, so a caller can tell "hostnamed is not there" from "hostnamed said no".
//
// Production code opens the system bus with Bus::openSystem() (sd_bus_open_system(), which
// honours DBUS_SYSTEM_BUS_ADDRESS: that is how the tests reach their private dbus-daemon).

#include "agent/system/error.hh"

#include <systemd/sd-bus.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imprint::bus {

class BusError : public Error
{
public:
    // `call` names what failed ("org.freedesktop.systemd1.Manager.StartUnit");
    // `name` is the D-Bus error name; `description` its human text.
    BusError(std::string call, std::string name, std::string description);

    const std::string & call() const { return call_; }
    const std::string & name() const { return name_; }

    // The peer (or the bus itself) is not there: no bus socket, nobody owns the name, the
    // connection dropped. Callers with a fallback (hostnamed -> sethostname) test this.
    bool isUnavailable() const;
    bool isDisconnect() const;

private:
    std::string call_;
    std::string name_;
};

// Throws BusError for a negative sd-bus return code; `error` (if set) supplies name and text.
void check(int r, std::string_view call, const sd_bus_error * error = nullptr);

class Message
{
public:
    Message() = default;
    // Takes over one reference of `m` (as returned by sd-bus constructors).
    explicit Message(sd_bus_message * m) : m_(m) {}
    // Adds a reference: for messages sd-bus lends to a callback.
    static Message ref(sd_bus_message * m);

    Message(Message && o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
    Message & operator=(Message && o) noexcept;
    Message(const Message &) = delete;
    Message & operator=(const Message &) = delete;
    ~Message();

    sd_bus_message * get() const { return m_; }
    explicit operator bool() const { return m_ != nullptr; }

    // sd_bus_message_append / _read with the message's member named in errors.
    template<typename... Args>
    Message & append(const char * types, Args... args)
    {
        check(sd_bus_message_append(m_, types, args...), describe("appending to"));
        return *this;
    }
    template<typename... Args>
    void read(const char * types, Args... args)
    {
        check(sd_bus_message_read(m_, types, args...), describe("reading"));
    }
    void openContainer(char type, const char * contents);
    void closeContainer();
    // Appends a string array (signature "as").
    void appendStrings(const std::vector<std::string> & strings);

    std::string member() const;
    std::string path() const;

private:
    std::string describe(std::string_view what) const;
    sd_bus_message * m_ = nullptr;
};

// A match or object registration; removed when destroyed. Owns the callback it dispatches to.
class Slot
{
public:
    Slot() = default;
    Slot(Slot &&) noexcept = default;
    Slot & operator=(Slot &&) noexcept = default;
    ~Slot();

private:
    friend class Bus;
    struct State
    {
        sd_bus_slot * slot = nullptr;
        std::function<void(Message &)> callback;
    };
    std::unique_ptr<State> state_;
};

class Bus
{
public:
    // The system bus (DBUS_SYSTEM_BUS_ADDRESS or /run/dbus/system_bus_socket).
    static Bus openSystem();
    // Takes over one reference of an already opened bus.
    explicit Bus(sd_bus * bus) : bus_(bus) {}

    Bus(Bus && o) noexcept : bus_(std::exchange(o.bus_, nullptr)) {}
    Bus & operator=(Bus && o) noexcept;
    Bus(const Bus &) = delete;
    Bus & operator=(const Bus &) = delete;
    ~Bus();

    sd_bus * get() const { return bus_; }

    Message newMethodCall(const char * destination, const char * path, const char * interface,
        const char * member);
    // Sends `call` and waits for its reply; a D-Bus error reply throws BusError.
    // A zero timeout means sd-bus's default (25 s).
    Message call(Message & call, std::chrono::microseconds timeout = std::chrono::microseconds{0});
    // A method call without arguments.
    Message call(const char * destination, const char * path, const char * interface, const char * member);

    // Calls `callback` for each matching signal while process() runs. The match is installed
    // on the bus before this returns (AddMatch is synchronous), so a signal emitted after this
    // call cannot be missed. `callback` must not throw.
    Slot matchSignal(const char * sender, const char * path, const char * interface, const char * member,
        std::function<void(Message &)> callback);

    std::string getPropertyString(const char * destination, const char * path, const char * interface,
        const char * member);
    // A property of a D-Bus basic or struct type: the reply, positioned at the value, to read().
    Message getProperty(const char * destination, const char * path, const char * interface,
        const char * member, const char * type);

    // Dispatches one queued or incoming message; false when there was nothing to do.
    // Throws BusError (isDisconnect()) when the connection is gone.
    bool process();
    // Blocks until something arrives or `timeout` passes. Throws when the connection is gone.
    void wait(std::chrono::microseconds timeout);


private:
    sd_bus * bus_ = nullptr;
};

} // namespace imprint::bus
