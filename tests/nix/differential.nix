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

  # ---- generic options, the same declarations for both libs -----------------------------------
  decls = {
    options.t = {
      s = mkOption { type = types.str; };
      sd = mkOption {
        type = types.str;
        default = "d";
      };
      a = mkOption {
        type = types.attrsOf types.str;
        default = { };
      };
      lazy = mkOption {
        type = types.lazyAttrsOf types.str;
        default = { };
      };
      l = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      sub = mkOption {
        type = types.submodule {
          options.p = mkOption {
            type = types.str;
            default = "p0";
          };
          options.q = mkOption {
            type = types.str;
            default = "q0";
          };
        };
        default = { };
      };
      named = mkOption {
        type = types.attrsOf (
          types.submodule (
            { name, ... }:
            {
              options.n = mkOption {
                type = types.str;
                default = "n-${name}";
              };
            }
          )
        );
        default = { };
      };
      probe = mkOption {
        type = types.bool;
        default = false;
      };
    };
  };
  evalT = modules: lib.evalModules { modules = [ decls ] ++ modules; };
  t = modules: (evalT modules).config.t;
  ts = modules: (t modules).s;
  tPrio = name: modules: (evalT modules).options.t.${name}.highestPrio;

  genericCases = {
    "str: plain equal values merge" = ts [ { t.s = "x"; } { t.s = "x"; } ];
    "str: plain different values conflict" = ts [ { t.s = "x"; } { t.s = "y"; } ];
    "str: plain beats mkDefault" = ts [ { t.s = "x"; } { t.s = lib.mkDefault "y"; } ];
    "str: mkOverride 90 beats plain" = ts [ { t.s = "x"; } { t.s = lib.mkOverride 90 "y"; } ];
    "str: two mkDefault conflict" = ts [ { t.s = lib.mkDefault "x"; } { t.s = lib.mkDefault "y"; } ];
    "str: no definition, no default" = (t [ ]).s;
    "str: mkIf false leaves the default" = (t [ { t.sd = lib.mkIf false "x"; } ]).sd;
    "str: mkIf non-bool is an error" = (t [ { t.sd = lib.mkIf "yes" "x"; } ]).sd;
    "str: wrong type is an error" = (t [ { t.sd = 1; } ]).sd;
    "highestPrio: default only" = tPrio "sd" [ ];
    "highestPrio: nothing at all" = tPrio "s" [ ];
    "highestPrio: plain" = tPrio "s" [ { t.s = "x"; } ];
    "highestPrio: mkForce and plain" = tPrio "s" [ { t.s = "x"; } { t.s = lib.mkForce "y"; } ];
    "highestPrio: mkIf false only" = tPrio "s" [ { t.s = lib.mkIf false "x"; } ];
    "attrsOf: override at the option drops a plain sibling" = (t [ { t.a = lib.mkForce { x = "1"; }; } { t.a.y = "2"; } ]).a;
    "attrsOf: override per name keeps other names" = (t [
      { t.a.x = lib.mkForce "1"; }
      {
        t.a.x = "2";
        t.a.y = "3";
      }
    ]).a;
    "attrsOf: mkIf false per name removes the name" = (t [ { t.a.x = lib.mkIf false "1"; } ]).a;
    "attrsOf: module-level mkOverride pushed to the option" = (t [
      (lib.mkOverride 60 { t.a.x = "1"; })
      { t.a.y = lib.mkForce "2"; }
    ]).a;
    "attrsOf: highestPrio is the option's" = tPrio "a" [ { t.a.x = lib.mkForce "1"; } ];
    "lazyAttrsOf: names of mkIf false stay" = builtins.attrNames (t [ { t.lazy.x = lib.mkIf false "1"; } { t.lazy.y = "2"; } ]).lazy;
    "listOf: order across modules and imports" = (t [
      {
        t.l = [ "a" ];
        imports = [
          {
            t.l = [ "a1" ];
            imports = [ { t.l = [ "a11" ]; } ];
          }
        ];
      }
      { t.l = [ "b" ]; }
      { t.l = [ "c" ]; }
    ]).l;
    "listOf: mkForce replaces" = (t [ { t.l = [ "a" ]; } { t.l = lib.mkForce [ "b" ]; } ]).l;
    "listOf: mkMerge and mkIf" = (t [
      {
        t.l = lib.mkMerge [
          [ "a" ]
          (lib.mkIf false [ "b" ])
          (lib.mkIf true [ "c" ])
        ];
      }
    ]).l;
    "listOf: mkIf false element" = (t [ { t.l = [ "a" (lib.mkIf false "b") ]; } ]).l;
    "submodule: defaults when undefined" = (t [ ]).sub;
    "submodule: per sub-option merge" = (t [ { t.sub.p = "x"; } { t.sub.q = "y"; } ]).sub;
    "submodule: override at the option drops a sibling" = (t [ { t.sub = lib.mkForce { p = "x"; }; } { t.sub.q = "y"; } ]).sub;
    "submodule: sub-option priorities inside" = (t [ { t.sub.p = lib.mkForce "x"; } { t.sub.p = "y"; } ]).sub;
    "submodule: undeclared sub-option is an error" = (t [ { t.sub.r = "x"; } ]).sub;
    "submodule: a function definition is a module" = (t [ { t.sub = { ... }: { p = "f"; }; } ]).sub;
    "submodule: name argument" = (t [ { t.named.foo = { }; } { t.named.bar.n = "set"; } ]).named;
    "undeclared option is an error" = (t [ { t.nope = 1; } ]).sd;
  };

  # ---- other types imprint's module and the NixOS options use ---------------------------------
  typeDecls = {
    options.u = {
      any = mkOption {
        type = types.anything;
        default = { };
      };
      services = mkOption {
        type = types.attrsOf types.anything;
        default = { };
      };
      yaml = mkOption {
        type = (pkgs.formats.yaml { }).type;
        default = { };
      };
      n = mkOption {
        type = types.nullOr types.str;
        default = null;
      };
      e = mkOption { type = types.enum [ "a" "b" ]; };
      i = mkOption { type = types.ints.between 1 1500; };
      lines = mkOption {
        type = types.lines;
        default = "";
      };
      attrs = mkOption {
        type = types.attrs;
        default = { };
      };
      pkg = mkOption { type = types.package; };
    };
  };
  u = modules: (lib.evalModules { modules = [ typeDecls ] ++ modules; }).config.u;
  drv = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
  };
  typeCases = {
    "anything: nested sets merge, mkForce inside" = (u [
      { u.any.a.b = "1"; }
      {
        u.any.a.c = [ "x" ];
        u.any.a.b = lib.mkForce "2";
      }
    ]).any;
    "anything: equal lists" = (u [ { u.any.l = [ "x" ]; } { u.any.l = [ "x" ]; } ]).any;
    "anything: different lists conflict" = (u [ { u.any.l = [ "x" ]; } { u.any.l = [ "y" ]; } ]).any;
    "anything: set vs string conflict" = (u [ { u.any.l = { }; } { u.any.l = "y"; } ]).any;
    "anything: a package defined twice" = (u [ { u.any.p = drv "a"; } { u.any.p = drv "a"; } ]).any;
    "attrsOf anything: unit-like merge" = (u [
      {
        u.services.imprint = {
          wantedBy = [ "multi-user.target" ];
          serviceConfig.Type = "notify";
        };
      }
      { u.services.imprint.serviceConfig.TimeoutStartSec = "5min"; }
      { u.services.other = lib.mkIf false { }; }
    ]).services;
    "yaml: nested sets merge, lists concatenate" = (u [
      {
        u.yaml.a = {
          b = 1;
          l = [ "x" ];
        };
      }
      {
        u.yaml.a = {
          c = true;
          l = [ "y" ];
        };
      }
    ]).yaml;
    "yaml: mkDefault under a set loses to plain" = (u [ { u.yaml.a.b = lib.mkDefault 1; } { u.yaml.a.b = 2; } ]).yaml;
    "yaml: scalar conflict" = (u [ { u.yaml.a = 1; } { u.yaml.a = 2; } ]).yaml;
    "yaml: null and a value" = (u [ { u.yaml.a = null; } { u.yaml.a = 2; } ]).yaml;
    "nullOr: null and not null" = (u [ { u.n = null; } { u.n = "x"; } ]).n;
    "nullOr: mkOverride 90 null beats plain" = (u [ { u.n = lib.mkOverride 90 null; } { u.n = "x"; } ]).n;
    "enum: outside is a type error" = (u [ { u.e = "c"; } ]).e;
    "enum: equal" = (u [ { u.e = "a"; } { u.e = "a"; } ]).e;
    "ints.between: bounds" = map (v: (builtins.tryEval (u [ { u.i = v; } ]).i).success) [ 0 1 1500 1501 ];
    "lines: concatenated in module order" = (u [ { u.lines = "a"; } { u.lines = "b"; } ]).lines;
    "attrs: shallow update" = (u [ { u.attrs.a.b = 1; } { u.attrs.a.c = 2; } ]).attrs;
    "package: once" = (u [ { u.pkg = drv "p"; } ]).pkg.name;
    "package: twice" = (u [ { u.pkg = drv "p"; } { u.pkg = drv "p"; } ]).pkg.name;
  };

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
      yaml = e.config.environment.etc."imprint/imprint.yaml".source.value;
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
