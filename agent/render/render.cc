#include "agent/render/render.hh"
#include "agent/system/error.hh"

#include <array>
#include <cstdio>

namespace imprint {

std::string nixString(std::string_view s)
{
    std::string out = "\"";
    out.reserve(s.size() + 2);
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '\0':
            throw Error("a string for the overlay contains a NUL byte");
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '$': out += "\\$"; break;  // "${" would start an interpolation; "\$" is always "$"
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (u < 0x20) {
                // No escape exists in a Nix string literal for these; fromJSON spells them.
                char buf[64];
                std::snprintf(buf, sizeof buf, "${builtins.fromJSON \"\\\"\\\\u%04x\\\"\"}", u);
                out += buf;
            } else {
                out += c;
            }
        }
    }
    out += '"';
    return out;
}

namespace {

constexpr int kPlainPriority = 100;  // lib.modules' defaultOverridePriority

bool isNixKeyword(std::string_view s)
{
    static const std::array<std::string_view, 11> keywords = {
        "if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or", "__curPos"};
    for (auto k : keywords)
        if (s == k)
            return true;
    return false;
}

bool isPlainIdentifier(std::string_view s)
{
    // Nix's ID token: [a-zA-Z_][a-zA-Z0-9_'-]*
    if (s.empty())
        return false;
    auto c0 = s.front();
    if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z') || c0 == '_'))
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '\'' || c == '-'))
            return false;
    return !isNixKeyword(s);
}

class ModuleWriter
{
public:
    explicit ModuleWriter(int priority) : prio_("lib.mkOverride " + std::to_string(priority) + " ") {}

    void comment(std::string_view text) { out_ += "# "; out_ += text; out_ += '\n'; }
    const std::string & priorityPrefix() const { return prio_; }
    void raw(std::string_view text) { out_ += text; }

    // `path = lib.mkOverride N "value";`
    void overridden(std::string_view path, const std::string & expr) { line(path, prio_ + expr); }
    void line(std::string_view path, const std::string & expr)
    {
        out_ += "  ";
        out_ += path;
        out_ += " = ";
        out_ += expr;
        out_ += ";\n";
    }

    std::string take() { return std::move(out_); }

private:
    std::string prio_;
    std::string out_;
};

std::string nixList(const std::vector<std::string> & items, std::string_view indent)
{
    if (items.empty())
        return "[ ]";
    std::string out = "[\n";
    for (const auto & item : items) {
        out += indent;
        out += "  ";
        out += nixString(item);
        out += '\n';
    }
    out += indent;
    out += ']';
    return out;
}

std::string nixFacts(const Facts & facts)
{
    std::string out = "{\n";
    for (const auto & [category, entries] : facts) {
        out += "    " + nixAttrName(category) + " = {\n";
        for (const auto & [key, value] : entries)
            out += "      " + nixAttrName(key) + " = " + nixString(value) + ";\n";
        out += "    };\n";
    }
    out += "  }";
    return out;
}

std::string overrideAt(int priority)
{
    return priority == kPlainPriority ? "" : "lib.mkOverride " + std::to_string(priority) + " ";
}

// Every sub-option set here carries the overlay's priority, and `label` is cleared: newer
// nixpkgs asserts that label and device agree (reference/nixos.md). The outer levels carry the
// image's priorities: an image whose module wraps all of `fileSystems` in
// lib.mkImageMediaOverride (60; nixpkgs' disk-image.nix) makes any plain definition of
// `fileSystems` vanish, whatever priority its sub-options have.
void writeRootFileSystem(ModuleWriter & w, const RootDevice & root, const RenderOptions & options)
{
    if (options.fileSystemsPriority == kPlainPriority && options.rootFileSystemPriority == kPlainPriority) {
        w.overridden("fileSystems.\"/\".device", nixString(root.device));
        w.overridden("fileSystems.\"/\".label", "null");
        if (root.fsType)
            w.overridden("fileSystems.\"/\".fsType", nixString(*root.fsType));
        return;
    }
    w.raw("  # The image defines fileSystems at priority " + std::to_string(options.fileSystemsPriority) +
          " and its \"/\" entry at " + std::to_string(options.rootFileSystemPriority) +
          ": these definitions\n  # join the image's there, so both are merged.\n");
    w.raw("  fileSystems = " + overrideAt(options.fileSystemsPriority) + "{\n");
    w.raw("    \"/\" = " + overrideAt(options.rootFileSystemPriority) + "{\n");
    w.raw("      device = " + w.priorityPrefix() + nixString(root.device) + ";\n");
    w.raw("      label = " + w.priorityPrefix() + "null;\n");
    if (root.fsType)
        w.raw("      fsType = " + w.priorityPrefix() + nixString(*root.fsType) + ";\n");
    w.raw("    };\n");
    w.raw("  };\n");
}

} // namespace

std::string nixAttrName(std::string_view name)
{
    return isPlainIdentifier(name) ? std::string(name) : nixString(name);
}

std::string renderOverlay(const InstanceData & in, const RenderOptions & options)
{
    ModuleWriter w(options.priority);
    w.comment("Generated by imprint for this machine. Do not edit: every run of imprint rewrites it.");
    w.comment("Source: " + in.source + ". Put your own settings in your configuration instead;");
    w.comment("a definition there with lib.mkForce wins over this file.");
    w.raw("{ lib, ... }:\n{\n");
    if (in.hostname && !in.preserveHostname) {
        w.overridden("networking.hostName", nixString(*in.hostname));
        if (in.domain)
            w.overridden("networking.domain", nixString(*in.domain));
    }
    if (in.rootDevice)
        writeRootFileSystem(w, *in.rootDevice, options);
    // Keys are plain definitions on purpose: list definitions of equal priority are concatenated,
    // so the image's own keys stay.
    if (!in.sshAuthorizedKeys.empty())
        w.line("users.users." + nixAttrName(options.sshUser) + ".openssh.authorizedKeys.keys",
               nixList(in.sshAuthorizedKeys, "  "));
    for (const auto & [user, keys] : in.userKeys) {
        if (keys.empty())
            continue;
        // cloud-init creates the users it is given; NixOS needs isNormalUser or isSystemUser for
        // a user to exist. mkDefault leaves an image's own declaration of the user in charge.
        if (user != "root")
            w.line("users.users." + nixAttrName(user) + ".isNormalUser", "lib.mkDefault true");
        w.line("users.users." + nixAttrName(user) + ".openssh.authorizedKeys.keys", nixList(keys, "  "));
    }
    if (in.timezone)
        w.overridden("time.timeZone", nixString(*in.timezone));
    if (!in.facts.empty())
        w.line("services.imprint.facts", nixFacts(in.facts));
    w.raw("}\n");
    return w.take();
}

} // namespace imprint
