# The NixOS options that imprint's module and overlays touch, declared with their nixpkgs
# types and defaults. Also evaluated with a real nixpkgs lib by ../differential.nix, so it uses
# only lib functions both have. fileSystems and users.users are attrsOf submodule as in nixpkgs
# (nixos/modules/tasks/filesystems.nix, nixos/modules/config/users-groups.nix + the openssh
# module), with the sub-options imprint cares about.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  anyAttrs = types.attrsOf types.anything;

  # filesystems.nix escapes the label for /dev/disk/by-label/.
  escape = builtins.replaceStrings [ " " "\t" ] [ "\\040" "\\011" ];
  # nixos/lib/utils.nix pathsNeededForBoot; nixpkgs compares the mount point, here the
  # attribute name (there is no mountPoint sub-option).
  pathsNeededForBoot = [ "/" "/nix" "/nix/store" "/var" "/var/log" "/var/lib" "/var/lib/nixos" "/etc" "/usr" ];

  fileSystem =
    { name, config, ... }:
    {
      options = {
        device = mkOption {
          type = types.nullOr types.nonEmptyStr;
          default = null;
        };
        label = mkOption {
          type = types.nullOr types.nonEmptyStr;
          default = null;
        };
        fsType = mkOption {
          type = types.nonEmptyStr;
          default = "auto";
        };
        options = mkOption {
          type = types.nonEmptyListOf types.nonEmptyStr;
          default = [ "defaults" ];
        };
        autoResize = mkOption {
          type = types.bool;
          default = false;
        };
      };
      config = {
        device = lib.mkIf (config.label != null) (lib.mkDefault "/dev/disk/by-label/${escape config.label}");
        options = lib.mkMerge [
          (lib.mkIf config.autoResize [ "x-systemd.growfs" ])
          (lib.mkIf (builtins.elem name pathsNeededForBoot) [ "x-initrd.mount" ])
        ];
      };
    };

  user = {
    options.openssh.authorizedKeys.keys = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    # The overlay declares the users it gives keys to (users-groups.nix).
    options.isNormalUser = mkOption {
      type = types.bool;
      default = false;
    };
  };
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
    fileSystems = mkOption {
      type = types.attrsOf (types.submodule fileSystem);
      default = { };
    };
    users.users = mkOption {
      type = types.attrsOf (types.submodule user);
      default = { };
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

  # filesystems.nix: label and device must agree.
  config.assertions = map (fs: {
    assertion = fs.label != null -> fs.device == "/dev/disk/by-label/${escape fs.label}";
    message = "The filesystem with mount point ${fs.name} has its label and device set to inconsistent values: label: ${toString fs.label} device: ${toString fs.device}";
  }) (lib.mapAttrsToList (name: fs: fs // { inherit name; }) config.fileSystems);
}
