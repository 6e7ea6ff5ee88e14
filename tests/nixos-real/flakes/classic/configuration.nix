# `classic` mode: /etc/nixos/configuration.nix of a host built with <nixpkgs> (NIX_PATH), as
# `nixos-rebuild switch` without --flake evaluates it; imprint's module imports the overlay from
# /var/lib/imprint/host.nix itself (impure evaluation).
{ ... }:
{
  imports = [
    <imprint/nix-module/module.nix>
    <imprint/tests/nixos-real/images/nixos-generators-qcow.nix>
  ];
  nixpkgs.overlays = [ (import <imprint/tests/nixos-real/flakes/nixpkgs-for-this-tree/workaround.nix>) ];
  services.imprint.enable = true;
  system.stateVersion = "26.11";
}
