# services.imprint.rebuild.* (how imprint runs nixos-rebuild), split from module.nix for its size.
{
  lib,
  rb,
  wrapperDir,
  classicOverlayPath,
}:

let
  inherit (lib) mkOption types literalExpression;

  memoryNote = "Evaluating a NixOS system needs about 0.6-1.1 GB of memory; on smaller instances `nixos-rebuild` is killed by the OOM killer. Set services.imprint.rebuild.enable = false there (the hostname is still applied live) and switch to a toplevel built elsewhere, see the README.";
in
{
  enable = mkOption {
    type = types.bool;
    default = true;
    description = ''
      Whether imprint runs `nixos-rebuild` after writing a changed overlay. Without it the
      hostname is still applied live and the overlay is picked up by the next rebuild.
      ${memoryNote}
    '';
  };

  action = mkOption {
    type = types.enum [
      "switch"
      "boot"
      "test"
      "dry-activate"
    ];
    default = "switch";
    description = "The `nixos-rebuild` action. Rendered to `rebuild.action`.";
  };

  mode = mkOption {
    type = types.enum [
      "wrapper"
      "flake"
      "classic"
    ];
    default =
      if rb.flake.base != null then
        "wrapper"
      else if rb.flake.ref != null then
        "flake"
      else
        "classic";
    defaultText = literalExpression ''"wrapper" if rebuild.flake.base is set, "flake" if rebuild.flake.ref is set, else "classic"'';
    description = ''
      How the overlay gets into the evaluation of the rebuild.
      `wrapper`: imprint keeps a flake in ${wrapperDir} whose output is
      `base.nixosConfigurations.<attribute>.extendModules { modules = [ ./host.nix ]; }`,
      with `base` pinned to `rebuild.flake.base`; the rebuild is
      `nixos-rebuild <action> --flake path:${wrapperDir}#<attribute>`. Works with pure
      evaluation, a read-only /etc/nixos, /etc/nixos as a git repository, and offline.
      `flake`: `nixos-rebuild <action> --flake <ref>#<attribute>`; the flake must import
      `overlay.path` itself.
      `classic`: `nixos-rebuild <action>` on /etc/nixos/configuration.nix; this module
      imports ${classicOverlayPath} when it exists (impure evaluation only).
    '';
  };

  flake = {
    base = mkOption {
      type = types.nullOr types.raw;
      default = null;
      example = literalExpression "self";
      description = ''
        The image's own flake, usually `self` (or a path or a locked flake reference string).
        Setting it selects `wrapper` mode: the wrapper flake extends
        `nixosConfigurations.<attribute>` of this flake, pinned by its store path.
      '';
    };

    attribute = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "generic";
      description = ''
        The name of this configuration in `nixosConfigurations` of the flake. Always passed
        explicitly: `nixos-rebuild --flake` would otherwise pick the new hostname. The
        wrapper flake also exposes the configuration under the machine's hostname, so a
        plain `nixos-rebuild switch --flake path:${wrapperDir}` works for admins.
      '';
    };

    ref = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "path:/etc/nixos";
      description = ''
        `flake` mode: rebuild from this flake reference. Your flake must import
        `overlay.path` (for instance with the overlay inside a plain, non-git flake
        directory). Prefer `base` and the wrapper.
      '';
    };

    keepInputs = mkOption {
      type = types.bool;
      default = true;
      description = ''
        In `wrapper` mode with a flake as `base`: keep the source of the base flake and of
        every input, transitively, in the system closure (`system.extraDependencies`), so
        that the in-guest evaluation never fetches. Costs the size of the inputs' sources
        (mostly nixpkgs).
      '';
    };
  };

  offline = mkOption {
    type = types.bool;
    default = false;
    description = ''
      The copies have no network (or must not use it): the rebuild passes
      `--option substitute false`, so anything missing from the store fails fast instead of
      timing out on a cache. Rendered to `rebuild.offline`. See `buildDependencies`.
    '';
  };

  buildDependencies = mkOption {
    type = types.enum [
      "none"
      "host-change"
      "all"
    ];
    default = "none";
    description = ''
      What the image carries to build the derivations an identity change rebuilds, without
      a binary cache. `host-change`: the builders of /etc, of generated text files and of
      the toplevel (stdenvNoCC), and the build inputs of the initrd (which carries
      /etc/hostname in the systemd initrd): a new host name, domain, keys or time zone
      (measured on nixpkgs 26.11). A new root device also rebuilds systemd units and more
      of the initrd: use `all`.
      `all`: `system.includeBuildDependencies` (a minimal system grows from about 670 MiB
      to about 13.5 GiB).
    '';
  };

  extraArgs = mkOption {
    type = types.listOf types.str;
    default = [ ];
    example = [
      "--option"
      "flake-registry"
      ""
    ];
    description = "Extra arguments appended to `nixos-rebuild`. Rendered to `rebuild.extra_args`.";
  };

  minMemoryMiB = mkOption {
    type = types.ints.between 0 1048576;
    default = 1024;
    description = ''
      Before it starts the rebuild, imprint checks that MemAvailable + SwapFree
      (/proc/meminfo) is at least this many MiB. Below it imprint skips the rebuild and says
      so in the journal, instead of `nixos-rebuild` being OOM-killed half-way; the hostname
      is still applied live. 0 disables the check. Rendered to `rebuild.min_memory_mb`.
      ${memoryNote}
    '';
  };
}
