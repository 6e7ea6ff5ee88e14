# The cases of generic options and types, no NixOS option: split from differential.nix for its size.
{
  lib,
  pkgs,
}:
let
  inherit (lib) mkOption types;

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
in
{
  inherit genericCases typeCases;
}
