#include "agent/render/render.hh"
#include "agent/system/error.hh"

#include <array>
#include <cstdio>
#include <vector>

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
constexpr int kForcePriority = 50;  // lib.mkForce

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

// lib.mkForce (50) and anything stronger is a deliberate choice, the administrator's or the
// image's: the overlay never joins it there (its own values would then beat the forced ones
// inside). At plain priority nixpkgs drops the overlay's definition instead, and the overlay's
// check below says so.
int yieldingToForce(int priority)
{
    return priority <= kForcePriority ? kPlainPriority : priority;
}

// The overlay checks that what it asks for reaches the configuration: a definition of higher
// priority elsewhere (a lib.mkForce, an image's override) wins on purpose, and the evaluation
// then says so in a NixOS warning naming the option, the value that won and where it is defined.
// `is` wants the value itself, `has` every listed element in the option's list.
constexpr std::string_view kCheckHelpers =
    "let\n"
    "  # What this file asks for must reach the configuration. A stronger definition elsewhere\n"
    "  # (your lib.mkForce, an image's override) wins on purpose; the evaluation then says so.\n"
    "  lost = option: want: got: files: reached:\n"
    "    lib.optional (!reached) \"imprint: ${option} is ${builtins.toJSON got} (defined in ${toString files}), not ${builtins.toJSON want} as this machine's overlay asks: a definition of higher priority won\";\n"
    "  is = option: want: got: files: lost option want got files (got == want);\n"
    "  has = option: want: got: files: lost option want got files (builtins.all (k: builtins.elem k got) want);\n"
    "in\n";

// Every sub-option set here carries the overlay's priority, and `label` is cleared: newer
// nixpkgs asserts that label and device agree (reference/nixos.md). The outer levels carry the
// image's priorities: an image whose module wraps all of `fileSystems` in
// lib.mkImageMediaOverride (60; nixpkgs' disk-image.nix) makes any plain definition of
// `fileSystems` vanish, whatever priority its sub-options have.
void writeRootFileSystem(ModuleWriter & w, const RootDevice & root, const RenderOptions & options)
{
    int outer = yieldingToForce(options.fileSystemsPriority);
    int entry = yieldingToForce(options.rootFileSystemPriority);
    if (outer == kPlainPriority && entry == kPlainPriority) {
        w.overridden("fileSystems.\"/\".device", nixString(root.device));
        w.overridden("fileSystems.\"/\".label", "null");
        if (root.fsType)
            w.overridden("fileSystems.\"/\".fsType", nixString(*root.fsType));
        return;
    }
    w.raw("  # The image defines fileSystems at priority " + std::to_string(outer) +
          " and its \"/\" entry at " + std::to_string(entry) +
          ": these definitions\n  # join the image's there, so both are merged.\n");
    w.raw("  fileSystems = " + overrideAt(outer) + "{\n");
    w.raw("    \"/\" = " + overrideAt(entry) + "{\n");
    w.raw("      device = " + w.priorityPrefix() + nixString(root.device) + ";\n");
    w.raw("      label = " + w.priorityPrefix() + "null;\n");
    if (root.fsType)
        w.raw("      fsType = " + w.priorityPrefix() + nixString(*root.fsType) + ";\n");
    w.raw("    };\n");
    w.raw("  };\n");
}

// One check of the `warnings` list: `is "option" want got files` or `has ...` (kCheckHelpers).
std::string check(std::string_view kind, std::string_view option, const std::string & want, std::string_view path,
                  std::string_view filesOf)
{
    return std::string(kind) + " " + nixString(option) + " " + want + " " + std::string(path) + " options." +
           std::string(filesOf) + ".files";
}

} // namespace

std::string_view overlayCheckHelpers()
{
    return kCheckHelpers;
}

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
    std::vector<std::string> checks;
    std::string body;
    {
        ModuleWriter b(options.priority);
        if (in.hostname && !in.preserveHostname) {
            b.overridden("networking.hostName", nixString(*in.hostname));
            checks.push_back(check("is", "networking.hostName", nixString(*in.hostname),
                                   "config.networking.hostName", "networking.hostName"));
            if (in.domain) {
                b.overridden("networking.domain", nixString(*in.domain));
                checks.push_back(check("is", "networking.domain", nixString(*in.domain),
                                       "config.networking.domain", "networking.domain"));
            }
        }
        if (in.rootDevice) {
            writeRootFileSystem(b, *in.rootDevice, options);
            checks.push_back(check("is", "fileSystems.\"/\".device", nixString(in.rootDevice->device),
                                   "(config.fileSystems.\"/\".device or null)", "fileSystems"));
            if (in.rootDevice->fsType)
                checks.push_back(check("is", "fileSystems.\"/\".fsType", nixString(*in.rootDevice->fsType),
                                       "(config.fileSystems.\"/\".fsType or null)", "fileSystems"));
        }
        // Keys are plain definitions on purpose: list definitions of equal priority are
        // concatenated, so the image's own keys stay.
        auto keys = [&](const std::string & user, const std::vector<std::string> & list) {
            auto path = "users.users." + nixAttrName(user) + ".openssh.authorizedKeys.keys";
            b.line(path, nixList(list, "  "));
            checks.push_back(check("has", "users.users." + user + ".openssh.authorizedKeys.keys",
                                   nixList(list, "    "), "config." + path, "users.users"));
        };
        if (!in.sshAuthorizedKeys.empty())
            keys(options.sshUser, in.sshAuthorizedKeys);
        for (const auto & [user, list] : in.userKeys) {
            if (list.empty())
                continue;
            // cloud-init creates the users it is given; NixOS needs isNormalUser or isSystemUser
            // for a user to exist. mkDefault leaves an image's own declaration of the user in charge.
            if (user != "root")
                b.line("users.users." + nixAttrName(user) + ".isNormalUser", "lib.mkDefault true");
            keys(user, list);
        }
        if (in.timezone) {
            b.overridden("time.timeZone", nixString(*in.timezone));
            checks.push_back(check("is", "time.timeZone", nixString(*in.timezone), "config.time.timeZone", "time.timeZone"));
        }
        if (!in.facts.empty())
            b.line("services.imprint.facts", nixFacts(in.facts));
        body = b.take();
    }
    if (checks.empty()) {
        w.raw("{ lib, ... }:\n{\n");
        w.raw(body);
        w.raw("}\n");
        return w.take();
    }
    w.raw("{ config, lib, options, ... }:\n");
    w.raw(kCheckHelpers);
    w.raw("{\n");
    w.raw(body);
    w.raw("  warnings =\n");
    for (size_t i = 0; i < checks.size(); ++i)
        w.raw(std::string(i == 0 ? "    " : "    ++ ") + checks[i] + (i + 1 == checks.size() ? ";\n" : "\n"));
    w.raw("}\n");
    return w.take();
}

} // namespace imprint
