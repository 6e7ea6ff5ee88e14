# The NixOS options that imprint's module and overlays touch, declared with their nixpkgs
# types and defaults. fileSystems and users.users are attrsOf submodule in nixpkgs; the stub
# declares the one entry the tests use as a fixed tree, which merges each sub-option the way
# a submodule does.
{ lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  anyAttrs = types.attrsOf types.anything;
in
{
  options = {
    networking.hostName = mkOption {
      type = types.str;
      default = "nixos";
    };
    networking.domain = mkOption {
      type = types.nullOr types.str;
      default = null;
    };
    fileSystems."/" = {
      device = mkOption {
        type = types.nullOr types.str;
        default = null;
      };
      label = mkOption {
        type = types.nullOr types.str;
        default = null;
      };
      fsType = mkOption {
        type = types.str;
        default = "auto";
      };
      autoResize = mkOption {
        type = types.bool;
        default = false;
      };
    };
    users.users.root.openssh.authorizedKeys.keys = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    users.users.admin.openssh.authorizedKeys.keys = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    time.timeZone = mkOption {
      type = types.nullOr types.str;
      default = null;
    };
    environment.etc = mkOption {
      type = anyAttrs;
      default = { };
    };
    environment.systemPackages = mkOption {
      type = types.listOf types.package;
      default = [ ];
    };
    systemd.services = mkOption {
      type = anyAttrs;
      default = { };
    };
    systemd.paths = mkOption {
      type = anyAttrs;
      default = { };
    };
    systemd.tmpfiles.rules = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    assertions = mkOption {
      type = types.listOf types.attrs;
      default = [ ];
    };
    warnings = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    system.extraDependencies = mkOption {
      type = types.listOf types.raw;
      default = [ ];
    };
    system.includeBuildDependencies = mkOption {
      type = types.bool;
      default = false;
    };
    system.build = mkOption {
      type = types.attrsOf types.raw;
      default = { };
    };
    nix.package = mkOption {
      type = types.package;
      default = pkgs.nix;
    };
  };
}
