# services.imprint: one golden image, many hosts.
#
# imprint runs at boot inside every copy of the image, finds out who the machine is (seed
# media, the Kubernetes downward API, a cloud metadata server), writes that down as a small
# NixOS module (the overlay), sets the hostname live, and rebuilds the system with the overlay.
#
# How the overlay reaches the evaluation (rebuild.mode; the README explains the trade-offs):
#   wrapper  the image is a flake: imprint keeps a writable flake in /var/lib/imprint/flake whose
#            nixosConfigurations.<attribute> is the image's configuration (pinned by store path)
#            extended with ./host.nix. Pure evaluation, offline, works whatever /etc/nixos is.
#   flake    rebuild from a flake you maintain; it must import the overlay itself.
#   classic  /etc/nixos/configuration.nix with <nixpkgs>: this module imports the overlay
#            (/var/lib/imprint/host.nix) when the evaluation is impure and the file exists.
{
  config,
  options,
  lib,
  pkgs,
  ...
}:

let
  inherit (lib)
    mkOption
    mkEnableOption
    mkIf
    mkMerge
    mkDefault
    types
    literalExpression
    ;

  cfg = config.services.imprint;
  rb = cfg.rebuild;

  settingsFormat = pkgs.formats.yaml { };

  stateDir = "/var/lib/imprint";
  wrapperDir = "${stateDir}/flake";
  classicOverlayPath = "${stateDir}/host.nix";

  # A flake (`self`, an input) or a path -> a flake reference pinned to the store; a string is
  # taken as a reference as it is (it may then be mutable, e.g. git+file:///etc/nixos).
  # A flake in a subdirectory of its source (`nix build ./examples/nixos`, whose inputs may be
  # relative paths such as `path:../..`) is referenced as the whole source with ?dir=: its
  # relative inputs resolve inside that source, which they cannot from the subdirectory alone.
  baseRef =
    let
      b = rb.flake.base;
      root = b.sourceInfo.outPath or b.outPath;
      prefix = "${root}/";
      n = builtins.stringLength prefix;
      sub = builtins.substring n (builtins.stringLength b.outPath - n) b.outPath;
    in
    if builtins.isString b then
      b
    else if builtins.isAttrs b && b.outPath != root && builtins.substring 0 n b.outPath == prefix then
      "path:${root}?dir=${sub}"
    else
      "path:${if builtins.isAttrs b then b.outPath else b}";

  # Every input of a flake, transitively, deduplicated by store path: what pure evaluation of
  # the image's configuration reads. Kept in the system closure so it never has to be fetched.
  flakeInputSources =
    flake:
    let
      go =
        seen: f:
        let
          inputs = builtins.attrValues (f.inputs or { });
          step =
            acc: i:
            let
              p = i.outPath or null;
            in
            if p == null || builtins.elem p acc then acc else go (acc ++ [ p ]) i;
        in
        builtins.foldl' step seen inputs;
    in
    go [ ] flake;

  keptInputs = lib.optionals (
    rb.mode == "wrapper" && rb.flake.keepInputs && builtins.isAttrs rb.flake.base
  ) ([ (rb.flake.base.sourceInfo.outPath or rb.flake.base.outPath) ] ++ flakeInputSources rb.flake.base);

  nixosRebuild = config.system.build.nixos-rebuild or pkgs.nixos-rebuild;

  # The priorities at which the image defines `fileSystems` and its "/" entry, which the
  # overlay's root file system must join, and the warnings about an overlay that did not.
  rootFileSystem = import ./root-file-system.nix { inherit lib options cfg; };
  inherit (rootFileSystem) fileSystemsPriority rootFileSystemPriority;
in
{
  imports = [ (import ./classic-overlay.nix classicOverlayPath) ];

  options.services.imprint = {
    enable = mkEnableOption "imprint, which gives each copy of a golden image its own identity at boot";

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = literalExpression "pkgs.callPackage ./package.nix { }";
      description = "The imprint package.";
    };

    sources = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [
        "nocloud"
        "configdrive"
        "ec2"
      ];
      description = ''
        The sources detection considers, in this order. Empty means every known source in
        imprint's documented default order. Rendered to `sources`.
      '';
    };

    endpoints = mkOption {
      type = types.attrsOf types.str;
      default = { };
      example = {
        openstack = "http://169.254.169.254";
      };
      description = "Base URL of a metadata server, per source name. Rendered to `endpoints`.";
    };

    overlay = {
      priority = mkOption {
        type = types.ints.between 1 1500;
        default = 90;
        description = ''
          The overlay defines every option it sets with `lib.mkOverride <priority>`. The default
          90 beats plain definitions of image modules (100, e.g. `fileSystems."/".device` of
          nixos-generators' qcow format) without a conflict, and still loses to a deliberate
          `lib.mkForce` (50) in your own configuration. Rendered to `overlay.priority`.
        '';
      };

      path = mkOption {
        type = types.str;
        default = if rb.mode == "wrapper" then "${wrapperDir}/host.nix" else classicOverlayPath;
        defaultText = literalExpression ''if rebuild.mode == "wrapper" then "${wrapperDir}/host.nix" else "${classicOverlayPath}"'';
        description = ''
          Where imprint writes the overlay module. In `wrapper` mode it lives inside the wrapper
          flake; in `classic` mode this module reads it from ${classicOverlayPath}; in `flake`
          mode your flake must import it from here. Rendered to `overlay.path`.
        '';
      };
    };

    # The largest group of options, in a file of its own. A plain import, not `imports`: the
    # options stay declared by this module, as they were when they were written inline here.
    rebuild = import ./rebuild-options.nix {
      inherit
        lib
        rb
        wrapperDir
        classicOverlayPath
        ;
    };

    kubernetes = {
      podinfoDir = mkOption {
        type = types.str;
        default = "/etc/podinfo";
        description = "Where the downward API volume is mounted. Rendered to `kubernetes.podinfo_dir`.";
      };
      factsAllow = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [
          "app.kubernetes.io/*"
          "topology.kubernetes.io/zone"
        ];
        description = ''
          Globs of pod annotation keys that become `services.imprint.facts.annotations`
          (`*` matches `/`). Empty (the default): no annotation does, since the overlay lands in
          the world-readable Nix store and annotations often carry tokens. Annotations matching
          `factsDeny` never do; pod labels and the pod's own fields always become facts.
          Rendered to `kubernetes.facts_allow`.
        '';
      };
      factsDeny = mkOption {
        type = types.nullOr (types.listOf types.str);
        default = null;
        example = [
          "*token*"
          "*secret*"
        ];
        description = ''
          Globs of annotation (and downward-API file) names never made facts, case-insensitive;
          they win over `factsAllow`. The overlay lands in the world-readable Nix store. `null`:
          imprint's built-in list (names that look like secrets, the last-applied manifest); a
          list replaces it. Rendered to `kubernetes.facts_deny` when set.
        '';
      };
      settleMs = mkOption {
        type = types.ints.between 0 60000;
        default = 1000;
        description = ''
          Before reading the volume, imprint waits until kubelet's `..data` has not changed for
          this many milliseconds, so a burst of updates is read once. Rendered to
          `kubernetes.settle_ms`.
        '';
      };
      env = mkOption {
        type = types.attrsOf types.str;
        default = {
          node_name = "NODE_NAME";
          pod_ip = "POD_IP";
          host_ip = "HOST_IP";
          service_account = "SERVICE_ACCOUNT";
        };
        example = {
          node_name = "MY_NODE_NAME";
        };
        description = ''
          `platform` fact -> environment variable the pod sets (fieldRef spec.nodeName, ...).
          imprint merges it into its built-in map of the same default. The units pass these
          variables, the default names and `KUBERNETES_SERVICE_HOST` on (`PassEnvironment=`).
          Rendered to `kubernetes.env`.
        '';
      };
    };

    facts = mkOption {
      type = types.attrsOf (types.attrsOf types.str);
      default = { };
      example = {
        labels."app.kubernetes.io/name" = "web";
        platform.region = "eu-central-1";
      };
      description = ''
        What imprint learnt about this machine, set by the overlay (`labels`, `annotations`,
        `platform`, ...). Read it from your own modules, e.g.
        `config.services.imprint.facts.labels."app.kubernetes.io/name" or "default"`.
      '';
    };

    settings = mkOption {
      type = settingsFormat.type;
      default = { };
      example = {
        http.deadline_ms = 10000;
        preserve_hostname = true;
      };
      description = ''
        imprint's configuration, rendered to /etc/imprint/imprint.yaml. The options above are
        rendered into it with `mkDefault`, so a key set here wins over them. Unknown keys are
        an error at start-up (imprint names the key). See the README for every key.
      '';
    };
  };

  config = mkIf cfg.enable (mkMerge [
    {
      services.imprint.settings = mkMerge [
        {
          overlay = {
            path = mkDefault cfg.overlay.path;
            priority = mkDefault cfg.overlay.priority;
            file_systems_priority = mkDefault fileSystemsPriority;
            root_file_system_priority = mkDefault rootFileSystemPriority;
          };
          rebuild = {
            enable = mkDefault rb.enable;
            command = mkDefault [ "${nixosRebuild}/bin/nixos-rebuild" ];
            action = mkDefault rb.action;
            offline = mkDefault rb.offline;
            extra_args = mkDefault rb.extraArgs;
            min_memory_mb = mkDefault rb.minMemoryMiB;
          };
          kubernetes = {
            podinfo_dir = mkDefault cfg.kubernetes.podinfoDir;
            facts_allow = mkDefault cfg.kubernetes.factsAllow;
            settle_ms = mkDefault cfg.kubernetes.settleMs;
            env = mkDefault cfg.kubernetes.env;
          };
        }
        (mkIf (cfg.kubernetes.factsDeny != null) {
          kubernetes.facts_deny = mkDefault cfg.kubernetes.factsDeny;
        })
        (mkIf (cfg.sources != [ ]) { sources = mkDefault cfg.sources; })
        (mkIf (cfg.endpoints != { }) { endpoints = mkDefault cfg.endpoints; })
        (mkIf (rb.mode == "wrapper") {
          rebuild = {
            flake = mkDefault "path:${wrapperDir}";
            attribute = mkDefault rb.flake.attribute;
            base = mkDefault baseRef;
          };
        })
        (mkIf (rb.mode == "flake") {
          rebuild = {
            flake = mkDefault rb.flake.ref;
            attribute = mkDefault rb.flake.attribute;
          };
        })
      ];

      assertions = [
        {
          assertion = rb.mode != "wrapper" || rb.flake.base != null;
          message = "services.imprint.rebuild.mode = \"wrapper\" needs services.imprint.rebuild.flake.base (usually `self`).";
        }
        {
          assertion = rb.mode != "flake" || rb.flake.ref != null;
          message = "services.imprint.rebuild.mode = \"flake\" needs services.imprint.rebuild.flake.ref.";
        }
        {
          assertion = rb.mode == "classic" || rb.flake.attribute != null;
          message = "services.imprint.rebuild.flake.attribute must name this configuration in nixosConfigurations (for example \"generic\"): after imprint renames the machine, `nixos-rebuild --flake` would look for nixosConfigurations.<new hostname>.";
        }
        {
          assertion = rb.mode != "wrapper" || lib.hasPrefix "${wrapperDir}/" cfg.overlay.path;
          message = "services.imprint.overlay.path must lie inside ${wrapperDir} in wrapper mode: a flake can only read its own files.";
        }
      ];

      # An image that leaves the host name to a service at boot forces it empty (nixpkgs'
      # proxmox image: lib.mkForce ""). The overlay's host name then loses (it says so in a
      # warning) and its domain must go too: networking.fqdn throws for a domain without a
      # host name. Just above the overlay's priority, so it beats the overlay only.
      networking.domain = mkIf (config.networking.hostName == "") (
        lib.mkOverride (if cfg.overlay.priority > 1 then cfg.overlay.priority - 1 else 1) null
      );

      warnings = rootFileSystem.warnings ++ lib.optional (cfg.overlay.priority <= 50 || cfg.overlay.priority >= 100) "services.imprint.overlay.priority = ${toString cfg.overlay.priority}: with 100 or more the image's plain definitions (fileSystems.\"/\".device) conflict with or beat the overlay; with 50 or less the overlay beats your own lib.mkForce.";

      # JSON, which is YAML (1.2, as yaml-cpp reads it), written by Nix itself like
      # lib.generators.toYAML: pkgs.formats.yaml's generate runs remarshal, and merely
      # evaluating that Python package was 88% of what this module adds to every evaluation of
      # the system, the rebuild of each copy included (bench/results/rebuild-eval.md).
      environment.etc."imprint/imprint.yaml".text =
        "# services.imprint (NixOS module), as JSON, which is YAML\n" + builtins.toJSON cfg.settings + "\n";
      # What the overlay asked for and this system does not have: the overlay's own warnings (they
      # start "imprint: "), kept in the built system so that imprint reads them after the rebuild
      # and `imprint status` and the journal say them too.
      environment.etc."imprint/not-applied.json".text = builtins.toJSON (
        builtins.filter (w: builtins.substring 0 9 w == "imprint: ") config.warnings
      );
      environment.systemPackages = [ cfg.package ];

      systemd.tmpfiles.rules = [
        "d ${stateDir} 0755 root root - -"
      ] ++ lib.optional (rb.mode == "wrapper") "d ${wrapperDir} 0755 root root - -";

      # host-change: what a new host name, domain, keys or time zone rebuilds (measured on
      # nixpkgs 26.11, README "Offline"): /etc, text files and the toplevel (stdenvNoCC), and
      # the initrd, which carries /etc/hostname when it is systemd's: its build inputs, through
      # the initrd derivation's inputDerivation.
      system.extraDependencies =
        keptInputs
        ++ lib.optionals (rb.buildDependencies == "host-change") (
          [ pkgs.stdenvNoCC ]
          ++ lib.optional (
            config.system.build ? initialRamdisk && config.system.build.initialRamdisk ? inputDerivation
          ) config.system.build.initialRamdisk.inputDerivation
        );
      system.includeBuildDependencies = mkIf (rb.buildDependencies == "all") true;
    }

    (import ./units.nix {
      inherit
        config
        lib
        pkgs
        cfg
        nixosRebuild
        ;
    })
  ]);
}
