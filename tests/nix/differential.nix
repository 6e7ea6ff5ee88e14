# Module-system cases evaluated with a given `lib`: run-checks.py differential evaluates them
# once with the stub (stub/lib.nix) and once with a real nixpkgs lib (IMPRINT_NIXPKGS_LIB) and
# compares the two, so that the stub's verdicts in checks.nix can be trusted.
#
# Evaluates to { <case> = { value = ...; } or "error"; }. Only throws (conflicts, type errors,
# undeclared options, a missing value) become "error"; their wording is not compared.
{
  lib,
  pkgs ? import ./stub/pkgs.nix { inherit lib; },
}:
let
  inherit (lib) mkOption types;
  repo = ../..;

  result =
    v:
    let
      r = builtins.tryEval (builtins.deepSeq v v);
    in
    if r.success then { inherit (r) value; } else "error";

  # ---- generic options and other types, in a file of their own -------------------------------
  inherit (import ./differential-option-types.nix { inherit lib pkgs; }) genericCases typeCases;

  # ---- NixOS options of stub/nixos.nix ---------------------------------------------------------
  nixos = modules: lib.evalModules {
    modules = [ ./stub/nixos.nix ] ++ modules;
    specialArgs = { inherit pkgs; };
  };
  summary =
    e:
    let
      c = e.config;
    in
    {
      fs = c.fileSystems;
      prio = e.options.fileSystems.highestPrio;
      failed = builtins.length (builtins.filter (a: !a.assertion) c.assertions);
    };

  images = {
    # nixos/modules/virtualisation/disk-image.nix
    media = ./fixtures/media-image.nix;
    # nixos-generators' qcow format and friends
    plain = {
      fileSystems."/" = {
        device = "/dev/disk/by-label/nixos";
        autoResize = true;
        fsType = "ext4";
      };
    };
    label = {
      fileSystems."/" = {
        label = "nixos";
        fsType = "ext4";
      };
    };
    default = {
      fileSystems."/".device = lib.mkDefault "/dev/disk/by-label/nixos";
    };
    none = { };
  };

  dev = "/dev/vda1";
  overlays = {
    "inner 90" = {
      fileSystems."/".device = lib.mkOverride 90 dev;
    };
    "inner 90, label cleared, fsType" = {
      fileSystems."/" = {
        device = lib.mkOverride 90 dev;
        label = lib.mkOverride 90 null;
        fsType = lib.mkOverride 90 "ext4";
      };
    };
    "inner 55" = {
      fileSystems."/".device = lib.mkOverride 55 dev;
    };
    "inner mkForce" = {
      fileSystems."/".device = lib.mkForce dev;
    };
    "inner plain" = {
      fileSystems."/".device = dev;
    };
    "outer 90" = {
      fileSystems = lib.mkOverride 90 { "/".device = dev; };
    };
    "outer 60, inner plain" = {
      fileSystems = lib.mkOverride 60 { "/".device = dev; };
    };
    "outer 60, inner 90" = {
      fileSystems = lib.mkOverride 60 { "/".device = lib.mkOverride 90 dev; };
    };
    "outer 60, inner 90 label" = {
      fileSystems = lib.mkOverride 60 {
        "/" = {
          label = lib.mkOverride 90 "root";
          device = lib.mkOverride 90 null;
        };
      };
    };
    "outer 55" = {
      fileSystems = lib.mkOverride 55 { "/".device = dev; };
    };
    "outer mkForce" = {
      fileSystems = lib.mkForce { "/".device = dev; };
    };
    "outer 60 under mkIf false" = {
      fileSystems = lib.mkIf false (lib.mkOverride 60 { "/".device = lib.mkOverride 90 dev; });
    };
    "outer 60 under mkIf true and mkMerge" = {
      fileSystems = lib.mkIf true (
        lib.mkMerge [
          (lib.mkOverride 60 { "/".device = lib.mkOverride 90 dev; })
          { "/".fsType = lib.mkOverride 90 "xfs"; }
        ]
      );
    };
    "module-level mkOverride 60" = lib.mkOverride 60 { fileSystems."/".device = lib.mkOverride 90 dev; };
    "config = mkIf true (mkOverride 60 ...)" = {
      config = lib.mkIf true (lib.mkOverride 60 { fileSystems."/".device = lib.mkOverride 90 dev; });
    };
    "per-name mkOverride 60" = {
      fileSystems."/" = lib.mkOverride 60 { device = lib.mkOverride 90 dev; };
    };
    "another mount point, plain" = {
      fileSystems."/data".device = "/dev/vdb";
    };
    "label inner 90" = {
      fileSystems."/".label = lib.mkOverride 90 "root";
    };
    "label and device null inner 90" = {
      fileSystems."/" = {
        label = lib.mkOverride 90 "root";
        device = lib.mkOverride 90 null;
      };
    };
    "empty device is a type error" = {
      fileSystems."/".device = lib.mkOverride 90 "";
    };
    "undeclared sub-option" = {
      fileSystems."/".devise = lib.mkOverride 90 dev;
    };
    none = { };
  };

  fsCases = builtins.listToAttrs (
    builtins.concatMap (
      image:
      map (overlay: {
        name = "fileSystems: image ${image} + overlay ${overlay}";
        value = summary (nixos [
          images.${image}
          overlays.${overlay}
        ]);
      }) (builtins.attrNames overlays)
    ) (builtins.attrNames images)
  );

  keys = user: e: e.config.users.users.${user}.openssh.authorizedKeys.keys;
  imageKeys = {
    users.users.root.openssh.authorizedKeys.keys = [ "image" ];
  };
  userCases = {
    "keys: image then overlay" = keys "root" (nixos [
      imageKeys
      { users.users.root.openssh.authorizedKeys.keys = [ "host" ]; }
    ]);
    "keys: overlay then image" = keys "root" (nixos [
      { users.users.root.openssh.authorizedKeys.keys = [ "host" ]; }
      imageKeys
    ]);
    "keys: overlay via import" = keys "root" (nixos [
      imageKeys
      { imports = [ { users.users.root.openssh.authorizedKeys.keys = [ "host" ]; } ]; }
    ]);
    "keys: mkOverride 90 list replaces the image's" = keys "root" (nixos [
      imageKeys
      { users.users.root.openssh.authorizedKeys.keys = lib.mkOverride 90 [ "host" ]; }
    ]);
    "keys: outer mkOverride 90 on users.users drops the image's users" =
      (nixos [
        imageKeys
        { users.users.admin.openssh.authorizedKeys.keys = [ "a" ]; }
        { users.users = lib.mkOverride 90 { root.openssh.authorizedKeys.keys = [ "host" ]; }; }
      ]).config.users.users;
    "keys: another user" = (nixos [
      imageKeys
      { users.users.admin.openssh.authorizedKeys.keys = [ "host" ]; }
    ]).config.users.users;
    "keys: a non-string key is a type error" = keys "root" (nixos [
      { users.users.root.openssh.authorizedKeys.keys = [ 1 ]; }
    ]);
  };

  hostName = modules: (nixos modules).config.networking.hostName;
  hostCases = {
    "hostName: image plain vs overlay 90" = hostName [ { networking.hostName = "image"; } { networking.hostName = lib.mkOverride 90 "web-1"; } ];
    "hostName: image plain vs overlay plain" = hostName [ { networking.hostName = "image"; } { networking.hostName = "web-1"; } ];
    "hostName: image plain vs overlay mkDefault" = hostName [ { networking.hostName = "image"; } { networking.hostName = lib.mkDefault "web-1"; } ];
    "hostName: default only" = hostName [ ];
    "hostName: highestPrio with default only" = (nixos [ ]).options.networking.hostName.highestPrio;
    "fileSystems: highestPrio with default only" = (nixos [ ]).options.fileSystems.highestPrio;
    "undeclared NixOS option is an error" = hostName [ { networking.hostname = "typo"; } ];
  };

  # ---- the image's priority, learnt without the overlay ----------------------------------------
  # (a) from outside: the wrapper flake passes the image's evaluation to the extension.
  extendCases =
    let
      base = nixos [ images.media ];
      overlayReading =
        { lib, imageOptions, ... }:
        let
          p = imageOptions.fileSystems.highestPrio;
        in
        {
          fileSystems = lib.mkOverride (if p < 90 then p else 90) { "/".device = lib.mkOverride 90 dev; };
        };
      # (b) from inside: the overlay asks for an evaluation of the same modules with `probe`
      # set, in which it defines nothing (mkIf), so the priority it reads is the image's.
      probing =
        {
          config,
          lib,
          extendModules,
          ...
        }:
        let
          probe = extendModules { modules = [ { t.probe = true; } ]; };
          p = probe.options.fileSystems.highestPrio;
        in
        {
          fileSystems = lib.mkIf (!config.t.probe) (
            lib.mkOverride (if p < 90 then p else 90) { "/".device = lib.mkOverride 90 dev; }
          );
        };
      probeDecl = {
        options.t.probe = mkOption {
          type = types.bool;
          default = false;
        };
      };
    in
    {
      "extendModules: specialArgs carry the image's options" = summary (base.extendModules {
        modules = [ overlayReading ];
        specialArgs.imageOptions = base.options;
      });
      "extendModules: _module.args carry the image's options" = summary (base.extendModules {
        modules = [
          overlayReading
          { _module.args.imageOptions = base.options; }
        ];
      });
      "extendModules: plain image, _module.args" =
        let
          plainBase = nixos [ images.plain ];
        in
        summary (plainBase.extendModules {
          modules = [
            overlayReading
            { _module.args.imageOptions = plainBase.options; }
          ];
        });
      "extendModules: list order of the extension" =
        keys "root" ((nixos [ imageKeys ]).extendModules {
          modules = [ { users.users.root.openssh.authorizedKeys.keys = [ "host" ]; } ];
        });
      "extendModules: probe from inside, image media" = summary (nixos [
        probeDecl
        images.media
        probing
      ]);
      "extendModules: probe from inside, plain image" = summary (nixos [
        probeDecl
        images.plain
        probing
      ]);
    };

  # ---- imprint's module with the fixtures ------------------------------------------------------
  imprint =
    modules:
    nixos (
      [
        (repo + "/nix-module/module.nix")
        { services.imprint.enable = true; }
      ]
      ++ modules
    );
  imprintSummary =
    e:
    summary e
    // {
      inherit (e.config.networking) hostName domain;
      keys = keys "root" e;
      # The rendered file: a comment line, then the settings as JSON (which is YAML).
      yaml = builtins.fromJSON (builtins.elemAt (builtins.match "#[^\n]*\n(.*)\n" e.config.environment.etc."imprint/imprint.yaml".text) 0);
      assertions = map (a: a.message) (builtins.filter (a: !a.assertion) e.config.assertions);
      inherit (e.config) warnings;
    };
  moduleCases = {
    "module: image fixture" = imprintSummary (imprint [ ./fixtures/image.nix ]);
    "module: image fixture + host fixture" = imprintSummary (imprint [
      ./fixtures/image.nix
      ./fixtures/host.nix
    ]);
    "module: image media + host fixture" = imprintSummary (imprint [
      images.media
      ./fixtures/host.nix
    ]);
    "module: image media, host fixture by extendModules" = imprintSummary (
      (imprint [ images.media ]).extendModules { modules = [ ./fixtures/host.nix ]; }
    );
  };

  cases = genericCases // typeCases // fsCases // userCases // hostCases // extendCases // moduleCases;
in
builtins.mapAttrs (name: result) cases
