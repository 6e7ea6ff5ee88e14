#pragma once
// InstanceData -> the overlay module text: the only place where Nix syntax is produced.
// Output is deterministic: the same instance and options give the same bytes.

#include "agent/normalize/instance.hh"

#include <string>
#include <string_view>

namespace imprint {

struct RenderOptions
{
    int priority = 90;               // lib.mkOverride N for every scalar option the overlay sets
    std::string sshUser = "root";    // who gets InstanceData::sshAuthorizedKeys
    // The priorities at which the image defines `fileSystems` as a whole and its "/" entry
    // (overlay.file_systems_priority / overlay.root_file_system_priority, which the NixOS module
    // reads off the image's evaluation). nixpkgs filters definitions by priority at every level
    // of an attrsOf-submodule option, so the overlay's definitions must sit at the image's
    // priority on the outer levels to be merged with it rather than drop it or be dropped.
    int fileSystemsPriority = 100;
    int rootFileSystemPriority = 100;
};

// THE escaping function: any byte string -> a Nix expression that evaluates to exactly that
// string. Escapes `\`, `"`, `$`, and \n \r \t; other control characters (which a Nix string
// literal cannot spell) are produced through builtins.fromJSON inside an interpolation. A NUL
// byte cannot exist in a Nix string and is rejected with an Error.
std::string nixString(std::string_view s);

// An attribute name: bare when it is a plain identifier that is not a keyword, otherwise the
// quoted string from nixString.
std::string nixAttrName(std::string_view name);

std::string renderOverlay(const InstanceData & instance, const RenderOptions & options);

// The fixed `let` block (no data from outside) of the helpers an overlay's `warnings` use.
std::string_view overlayCheckHelpers();

} // namespace imprint
