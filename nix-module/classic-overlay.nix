# `classic` mode: the overlay imprint wrote for this machine, taken into the evaluation of
# /etc/nixos/configuration.nix (nixos-rebuild without --flake, impure evaluation).
#
# Imports cannot depend on `config`, so this module is always imported and decides inside:
# - it reads the file only when evaluation is impure (`builtins.currentSystem` exists exactly
#   then): pure flake evaluation must not, and need not, look at /var/lib;
# - its definitions count only when services.imprint is enabled in `classic` mode.
# Caveat (README): an image built with impure evaluation on a machine that itself has this
# file takes that machine's overlay into the image's first generation; every copy replaces it
# with its own at its first rebuild.
overlayPath:
{ config, lib, ... }@args:
let
  cfg = config.services.imprint;
  impure = builtins ? currentSystem;
  overlay =
    if impure && builtins.pathExists overlayPath then import (/. + overlayPath) args else { };
in
{
  config = lib.mkIf (cfg.enable && cfg.rebuild.mode == "classic") overlay;
}
