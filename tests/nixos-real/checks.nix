# The NixOS tier: imprint's module and rendered overlays on the real nixpkgs tree, every check
# in one Nix process (nixpkgs is imported once). A list of { name, ok, got, want }, like
# tests/nix/checks.nix; run.py prints it.
#
#   nix-instantiate --eval --strict --json checks.nix --argstr nixpkgs DIR --argstr repo DIR
#     [--argstr group GROUP]   one group only: images, overlays, admin (run.py re-runs a group on
#                              its own to name the check when an error stops the whole evaluation)
{
  nixpkgs,
  repo,
  group ? "",
}:
let
  e = import ./eval.nix { inherit nixpkgs repo; };
  inherit (e) lib;

  # The host's own configuration: the module enabled, nothing else.
  host = [
    e.module
    { services.imprint.enable = true; }
  ];
  base = e.system host;
  images = import ./images.nix { inherit e base; };

  # `base` extended with an image module, as nixpkgs' image.modules does it.
  onImage = name: extra: base.extendModules { modules = [ images.${name} ] ++ extra; };

  common = import ./common.nix { inherit e; };

  groups = {
    images = import ./image-checks.nix { inherit e images onImage common; };
    overlays = import ./overlay-checks.nix { inherit e images onImage common; };
    admin = import ./admin-checks.nix { inherit e onImage common; };
  };
  # Not checks: what each image variant is, for the README's table (`--argstr group table`).
  table = lib.mapAttrs (
    name: _:
    let
      sys = onImage name [ ];
    in
    {
      kind = common.rootKind sys;
      priorities = common.priorities sys;
      golden = common.goldenFor (common.rootKind sys) (common.priorities sys);
      hostNameForced = sys.options.networking.hostName.highestPrio <= 50;
    }
  ) images;
in
if group == "" then
  lib.concatLists (lib.attrValues groups)
else if group == "table" then
  table
else
  groups.${group}
