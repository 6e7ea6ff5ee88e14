# A small stand-in for nixpkgs' `lib`, enough to evaluate nix-module/*.nix and imprint's overlays
# with Debian's nix-instantiate and no nixpkgs. It follows nixpkgs' module system where it
# matters for imprint (lib/modules.nix, lib/types.nix):
# - mkOverride returns { _type = "override"; priority; content; } exactly; a plain definition
#   has priority 100, an option's default is added as mkOptionDefault (1500); the lowest number
#   wins; the definitions left at the winning priority are merged by the option's type:
#   str/int/bool/enum need equal values ("has conflicting definition values" otherwise), lists
#   concatenate, attrsOf merges per name;
# - mkIf / mkMerge / mkOverride around attribute sets are pushed down to the options
#   (pushDownProperties) and discharged there (dischargeProperties), so conditions are not
#   forced to learn which options a module defines;
# - a module is a path, a function or an attribute set, with imports / options / config or the
#   shorthand (everything else is config); a path imported twice counts once; defining an
#   option nobody declared is an error.
# Not modelled: submodules (tests declare fixed option trees, e.g. fileSystems."/", whose
# per-sub-option merge is what a submodule does), mkOrder, freeformType, _module.args.
let
  inherit (builtins)
    all
    any
    attrNames
    concatLists
    concatMap
    concatStringsSep
    elem
    filter
    foldl'
    genList
    head
    isAttrs
    isBool
    isFloat
    isFunction
    isInt
    isList
    isPath
    isString
    length
    listToAttrs
    mapAttrs
    tail
    toJSON
    ;

  showLoc = loc: concatStringsSep "." loc;
  isStringLike = x: isString x || isPath x || (isAttrs x && x ? outPath);
  isDerivation = x: isAttrs x && (x.type or "") == "derivation";
  imap0 = f: list: genList (i: f i (builtins.elemAt list i)) (length list);
  unique = foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ];
  showValue = v: if isDerivation v then "<derivation ${v.name or "?"}>" else toJSON v;

  # ---- properties (lib/modules.nix) ---------------------------------------------------------
  mkOverride = priority: content: {
    _type = "override";
    inherit priority content;
  };
  mkIf = condition: content: {
    _type = "if";
    inherit condition content;
  };
  mkMerge = contents: {
    _type = "merge";
    inherit contents;
  };
  defaultOverridePriority = 100;

  pushDownProperties =
    cfg:
    if (cfg._type or "") == "merge" then
      concatMap pushDownProperties cfg.contents
    else if (cfg._type or "") == "if" then
      map (mapAttrs (n: v: mkIf cfg.condition v)) (pushDownProperties cfg.content)
    else if (cfg._type or "") == "override" then
      map (mapAttrs (n: v: mkOverride cfg.priority v)) (pushDownProperties cfg.content)
    else
      [ cfg ];

  dischargeProperties =
    def:
    if (def._type or "") == "merge" then
      concatMap dischargeProperties def.contents
    else if (def._type or "") == "if" then
      if !isBool def.condition then
        throw "mkIf called with a non-Boolean condition"
      else if def.condition then
        dischargeProperties def.content
      else
        [ ]
    else
      [ def ];

  filterOverrides =
    defs:
    let
      getPrio =
        def: if (def.value._type or "") == "override" then def.value.priority else defaultOverridePriority;
      highest = foldl' (p: def: if getPrio def < p then getPrio def else p) 9999 defs;
      strip = def: if (def.value._type or "") == "override" then def // { value = def.value.content; } else def;
    in
    map strip (filter (def: getPrio def == highest) defs);

  mergeDefinitions =
    loc: type: defs:
    let
      discharged = concatMap (
        def:
        map (value: {
          inherit (def) file;
          inherit value;
        }) (dischargeProperties def.value)
      ) defs;
      defsFinal = filterOverrides discharged;
      isDefined = defsFinal != [ ];
      bad = filter (def: !type.check def.value) defsFinal;
      mergedValue =
        if !isDefined then
          throw "The option `${showLoc loc}' is used but not defined."
        else if bad != [ ] then
          throw "A definition for option `${showLoc loc}' is not of type `${type.description}'. Definition values:\n- In `${(head bad).file}': ${showValue (head bad).value}"
        else
          type.merge loc defsFinal;
    in
    {
      inherit isDefined mergedValue defsFinal;
      optionalValue = if isDefined then { value = mergedValue; } else { };
    };

  # ---- merge functions (lib/options.nix) ------------------------------------------------------
  mergeEqualOption =
    loc: defs:
    (foldl' (
      first: def:
      if def.value != first.value then
        throw "The option `${showLoc loc}' has conflicting definition values:\n- In `${first.file}': ${showValue first.value}\n- In `${def.file}': ${showValue def.value}\nUse `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions."
      else
        first
    ) (head defs) (tail defs)).value;

  mergeOneOption =
    loc: defs:
    if length defs == 1 then
      (head defs).value
    else
      throw "The option `${showLoc loc}' is defined multiple times while it's expected to be unique.";

  # ---- types (lib/types.nix) ------------------------------------------------------------------
  mkOptionType =
    {
      name,
      description ? name,
      check ? (x: true),
      merge ? mergeOneOption,
    }:
    {
      _type = "option-type";
      inherit
        name
        description
        check
        merge
        ;
    };

  types = rec {
    inherit mkOptionType;
    bool = mkOptionType {
      name = "bool";
      description = "boolean";
      check = isBool;
      merge = mergeEqualOption;
    };
    int = mkOptionType {
      name = "int";
      description = "signed integer";
      check = isInt;
      merge = mergeEqualOption;
    };
    ints.between =
      lo: hi:
      mkOptionType {
        name = "intBetween";
        description = "integer between ${toString lo} and ${toString hi} (both inclusive)";
        check = x: isInt x && x >= lo && x <= hi;
        merge = mergeEqualOption;
      };
    float = mkOptionType {
      name = "float";
      check = isFloat;
      merge = mergeEqualOption;
    };
    str = mkOptionType {
      name = "str";
      description = "string";
      check = isString;
      merge = mergeEqualOption;
    };
    lines = mkOptionType {
      name = "lines";
      description = "strings concatenated with \"\\n\"";
      check = isString;
      merge = loc: defs: concatStringsSep "\n" (map (d: d.value) defs);
    };
    path = mkOptionType {
      name = "path";
      check = x: isStringLike x && builtins.substring 0 1 (toString x) == "/";
      merge = mergeEqualOption;
    };
    package = mkOptionType {
      name = "package";
      check = x: isDerivation x || (isString x && builtins.substring 0 11 x == "/nix/store/");
      merge = mergeOneOption;
    };
    raw = mkOptionType {
      name = "raw";
      description = "raw value";
    };
    attrs = mkOptionType {
      name = "attrs";
      description = "attribute set";
      check = isAttrs;
      merge = loc: foldl' (res: def: res // def.value) { };
    };
    anything = mkOptionType {
      name = "anything";
      merge =
        loc: defs:
        if all (def: isAttrs def.value && !isStringLike def.value) defs then
          (attrsOf anything).merge loc defs
        else if all (def: isList def.value) defs && length defs > 1 then
          throw "The option `${showLoc loc}' has conflicting definition values (lists are not merged by `anything')."
        else
          mergeEqualOption loc defs;
    };
    enum =
      values:
      mkOptionType {
        name = "enum";
        description = "one of ${concatStringsSep ", " (map toJSON values)}";
        check = x: elem x values;
        merge = mergeEqualOption;
      };
    listOf =
      elemType:
      mkOptionType {
        name = "listOf";
        description = "list of ${elemType.description}";
        check = isList;
        merge =
          loc: defs:
          concatLists (
            imap0 (
              n: def:
              concatLists (
                imap0 (
                  m: v:
                  let
                    r = mergeDefinitions (loc ++ [ "[definition ${toString (n + 1)}-entry ${toString (m + 1)}]" ]) elemType [
                      {
                        inherit (def) file;
                        value = v;
                      }
                    ];
                  in
                  if r.isDefined then [ r.mergedValue ] else [ ]
                ) def.value
              )
            ) defs
          );
      };
    attrsOf =
      elemType:
      mkOptionType {
        name = "attrsOf";
        description = "attribute set of ${elemType.description}";
        check = isAttrs;
        merge =
          loc: defs:
          let
            names = unique (concatMap (def: attrNames def.value) defs);
            merged = map (name: {
              inherit name;
              r = mergeDefinitions (loc ++ [ name ]) elemType (
                map (def: {
                  inherit (def) file;
                  value = def.value.${name};
                }) (filter (def: def.value ? ${name}) defs)
              );
            }) names;
          in
          listToAttrs (
            map (x: {
              inherit (x) name;
              value = x.r.mergedValue;
            }) (filter (x: x.r.isDefined) merged)
          );
      };
    nullOr =
      elemType:
      mkOptionType {
        name = "nullOr";
        description = "null or ${elemType.description}";
        check = x: x == null || elemType.check x;
        merge =
          loc: defs:
          if all (def: def.value == null) defs then
            null
          else if any (def: def.value == null) defs then
            throw "The option `${showLoc loc}' is defined both null and not null."
          else
            elemType.merge loc defs;
      };
    either =
      t1: t2:
      mkOptionType {
        name = "either";
        description = "${t1.description} or ${t2.description}";
        check = x: t1.check x || t2.check x;
        merge =
          loc: defs:
          if all (def: t1.check def.value) defs then
            t1.merge loc defs
          else if all (def: t2.check def.value) defs then
            t2.merge loc defs
          else
            mergeOneOption loc defs;
      };
    oneOf = ts: foldl' either (head ts) (tail ts);
  };

  # ---- options ------------------------------------------------------------------------------
  mkOption = attrs: { type = types.anything; } // attrs // { _type = "option"; };
  isOption = x: isAttrs x && (x._type or "") == "option";

  # ---- evalModules (lib/modules.nix, reduced) ------------------------------------------------
  evalModules =
    {
      modules,
      specialArgs ? { },
    }:
    let
      args = {
        inherit lib config options;
      } // specialArgs;

      unify =
        file: m:
        let
          m' = if isFunction m then m args else m;
          meta = [
            "_file"
            "key"
            "imports"
            "options"
            "config"
            "meta"
          ];
        in
        {
          _file = m'._file or file;
          imports = m'.imports or [ ];
          options = m'.options or { };
          config = if m' ? config || m' ? options then m'.config or { } else removeAttrs m' meta;
        };

      item =
        anonKey: parentFile: m:
        let
          isFile = isPath m || isString m;
        in
        {
          key = if isFile then toString m else anonKey;
          module = if isFile then unify (toString m) (import m) else unify parentFile m;
        };

      collected = builtins.genericClosure {
        startSet = imap0 (i: m: item "<root ${toString i}>" "<root ${toString i}>" m) modules;
        operator = it: imap0 (i: m: item "${it.key}/${toString i}" it.module._file m) it.module.imports;
      };
      mods = map (it: it.module) collected;

      # All option declarations merged into one tree; an option declared twice is an error.
      mergeDecls =
        loc: decls:
        if any isOption decls then
          if length decls == 1 then
            head decls // { inherit loc; }
          else
            throw "The option `${showLoc loc}' is declared more than once."
        else
          let
            names = unique (concatMap attrNames decls);
          in
          listToAttrs (
            map (name: {
              inherit name;
              value = mergeDecls (loc ++ [ name ]) (
                map (d: d.${name}) (filter (d: d ? ${name}) decls)
              );
            }) names
          );
      options = mergeDecls [ ] (map (m: m.options) mods);

      # defs: [{ file; value; }] at one level of the option tree.
      evalNode =
        loc: decl: defs:
        let
          pushed = concatMap (
            def:
            map (value: {
              inherit (def) file;
              inherit value;
            }) (pushDownProperties def.value)
          ) defs;
          undeclared = filter (name: !(decl ? ${name})) (unique (concatMap (d: attrNames d.value) pushed));
          sub =
            name:
            map (d: {
              inherit (d) file;
              value = d.value.${name};
            }) (filter (d: d.value ? ${name}) pushed);
          node = mapAttrs (
            name: opt: if isOption opt then evalOption (loc ++ [ name ]) opt (sub name) else evalNode (loc ++ [ name ]) opt (sub name)
          ) decl;
        in
        if undeclared != [ ] then
          throw "The option `${showLoc (loc ++ [ (head undeclared) ])}' does not exist. Definition in `${(head (filter (d: d.value ? ${head undeclared}) pushed)).file}'."
        else
          node;

      evalOption =
        loc: opt: defs:
        let
          withDefault =
            (
              if opt ? default then
                [
                  {
                    file = "<default of ${showLoc loc}>";
                    value = mkOverride 1500 opt.default;
                  }
                ]
              else
                [ ]
            )
            ++ defs;
          r = mergeDefinitions loc opt.type withDefault;
        in
        if opt ? apply then opt.apply r.mergedValue else r.mergedValue;

      config = evalNode [ ] options (
        map (m: {
          file = m._file;
          value = m.config;
        }) mods
      );
    in
    {
      inherit config options;
    };

  lib = {
    inherit
      mkOverride
      mkIf
      mkMerge
      mkOption
      types
      evalModules
      isOption
      mergeDefinitions
      ;
    mkDefault = mkOverride 1000;
    mkOptionDefault = mkOverride 1500;
    mkImageMediaOverride = mkOverride 60;
    mkForce = mkOverride 50;
    mkVMOverride = mkOverride 10;
    mkEnableOption =
      name:
      mkOption {
        default = false;
        example = true;
        description = "Whether to enable ${name}.";
        type = types.bool;
      };
    literalExpression = text: {
      _type = "literalExpression";
      inherit text;
    };
    optional = cond: x: if cond then [ x ] else [ ];
    optionals = cond: xs: if cond then xs else [ ];
    optionalAttrs = cond: as: if cond then as else { };
    hasPrefix = pre: s: builtins.substring 0 (builtins.stringLength pre) s == pre;
    inherit unique;
    # nixpkgs lib/attrsets.nix: nested attribute sets are merged, anything else the right wins.
    recursiveUpdate =
      lhs: rhs:
      lhs
      // mapAttrs (n: v: if isAttrs v && isAttrs (lhs.${n} or null) then lib.recursiveUpdate lhs.${n} v else v) rhs;
    concatStringsSep = builtins.concatStringsSep;
    getExe = p: "${p}/bin/${p.meta.mainProgram or p.pname or p.name}";
  };
in
lib
