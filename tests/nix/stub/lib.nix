# A small stand-in for nixpkgs' `lib`, enough to evaluate nix-module/*.nix and imprint's overlays
# with Debian's nix-instantiate and no nixpkgs. It follows nixpkgs' module system where it
# matters for imprint (lib/modules.nix, lib/types.nix), and differential.nix checks it against
# a real nixpkgs lib (run-checks.py differential):
# - mkOverride returns { _type = "override"; priority; content; } exactly; a plain definition
#   has priority 100, an option's default is added as mkOptionDefault (1500); the lowest number
#   wins AT THE OPTION: `fileSystems` is one option (attrsOf submodule), so a plain
#   `fileSystems."/".device = mkOverride 90 x` is a priority-100 definition of `fileSystems`
#   and is dropped whole when the image defines `fileSystems = mkImageMediaOverride {...}`;
# - the definitions left at the winning priority are merged by the option's type: str/int/bool/
#   enum need equal values ("has conflicting definition values" otherwise), lists concatenate,
#   attrsOf/lazyAttrsOf merge per name (the priority filter runs again per name), a submodule
#   is a module evaluation of its own whose modules are the definitions, where each sub-option
#   has its own priorities and default and `name` is the attribute name;
# - mkIf / mkMerge / mkOverride around attribute sets are pushed down to the options
#   (pushDownProperties) and discharged there (dischargeProperties);
# - a module is a path, a function or an attribute set, with imports / options / config or the
#   shorthand (everything else is config); a module's key dedupes it; definitions are merged in
#   the order nixpkgs uses (modules collected breadth first, then reversed: a later module's
#   list elements come first); defining an option nobody declared is an error when the
#   result's config or options are read;
# - options.<path> carries value, highestPrio, isDefined, definitions and files;
#   module arguments other than lib/config/options/specialArgs come from config._module.args
#   (lazyAttrsOf raw), which also holds extendModules; the result has extendModules.
# Not modelled: mkOrder, freeformType, disabledModules, declaring one option in several modules
# (nixpkgs merges such declarations, e.g. submodule options of users.users), readOnly,
# getSubOptions, option documentation, error messages word for word.
let
  inherit (builtins)
    any
    attrNames
    attrValues
    concatMap
    concatStringsSep
    elem
    filter
    foldl'
    functionArgs
    genList
    head
    isAttrs
    isBool
    isFunction
    isList
    isPath
    isString
    length
    listToAttrs
    mapAttrs
    toJSON
    zipAttrsWith
    ;

  showLoc = loc: concatStringsSep "." loc;
  isStringLike = x: isString x || isPath x || (isAttrs x && x ? outPath);
  isDerivation = x: isAttrs x && (x.type or "") == "derivation";
  imap0 = f: list: genList (i: f i (builtins.elemAt list i)) (length list);
  unique = foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ];
  reverseList = l: genList (i: builtins.elemAt l (length l - 1 - i)) (length l);
  filterAttrs = pred: set: removeAttrs set (filter (n: !(pred n set.${n})) (attrNames set));
  last = l: builtins.elemAt l (length l - 1);
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
  mkOptionDefault = mkOverride 1500;
  defaultOverridePriority = 100;

  pushDownProperties =
    let
      mapIfAttrs = f: v: if isAttrs v then mapAttrs f v else v;
    in
    cfg:
    if (cfg._type or "") == "merge" then
      concatMap pushDownProperties cfg.contents
    else if (cfg._type or "") == "if" then
      map (mapIfAttrs (n: v: mkIf cfg.condition v)) (pushDownProperties cfg.content)
    else if (cfg._type or "") == "override" then
      map (mapIfAttrs (n: v: mkOverride cfg.priority v)) (pushDownProperties cfg.content)
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

  # The definitions at the lowest priority number, stripped of their mkOverride, and that number
  # (9999 when there is no definition at all, as in nixpkgs).
  filterOverrides' =
    defs:
    let
      getPrio =
        def: if (def.value._type or "") == "override" then def.value.priority else defaultOverridePriority;
      highestPrio = foldl' (p: def: if getPrio def < p then getPrio def else p) 9999 defs;
      strip = def: if (def.value._type or "") == "override" then def // { value = def.value.content; } else def;
    in
    {
      values = map strip (filter (def: getPrio def == highestPrio) defs);
      inherit highestPrio;
    };

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
      filtered = filterOverrides' discharged;
      defsFinal = filtered.values;
      isDefined = defsFinal != [ ];
      bad = filter (def: !type.check def.value) defsFinal;
      mergedValue =
        if isDefined then
          if bad != [ ] then
            throw "A definition for option `${showLoc loc}' is not of type `${type.description}'. Definition values:\n- In `${(head bad).file}': ${showValue (head bad).value}"
          else
            type.merge loc defsFinal
        else if type.emptyValue ? value then
          type.emptyValue.value
        else
          throw "The option `${showLoc loc}' was accessed but has no value defined. Try setting the option.";
    in
    {
      inherit isDefined mergedValue defsFinal;
      inherit (filtered) highestPrio;
      optionalValue = if isDefined then { value = mergedValue; } else { };
    };

  # ---- types (lib/types.nix) and merge functions (lib/options.nix), in a file of their own -----
  types = import ./lib-types.nix {
    inherit
      showLoc
      showValue
      isStringLike
      isDerivation
      imap0
      filterAttrs
      last
      mergeDefinitions
      mkOptionDefault
      evalModules
      ;
  };

  # ---- options ------------------------------------------------------------------------------
  mkOption = attrs: { type = types.anything; } // attrs // { _type = "option"; };
  isOption = x: isAttrs x && (x._type or "") == "option";

  # ---- evalModules (lib/modules.nix, reduced) ------------------------------------------------
  evalModules =
    evalArgs@{
      modules,
      specialArgs ? { },
      prefix ? [ ],
    }:
    let
      # Declares _module.args and gives it extendModules, as nixpkgs' internal module does.
      internalModule = {
        _file = "lib/modules.nix";
        key = "lib/modules.nix";
        options._module.args = mkOption { type = types.lazyAttrsOf types.raw; };
        config._module.args = { inherit extendModules; };
      };

      args = {
        inherit lib config options specialArgs;
        _prefix = prefix;
      } // specialArgs;

      # Every argument the function names is given (lazily): from args, or else from
      # config._module.args (nixpkgs' applyModuleArgs).
      callModule = f: f (args // mapAttrs (name: _: args.${name} or config._module.args.${name}) (functionArgs f));

      meta = [
        "_class"
        "_file"
        "key"
        "disabledModules"
        "imports"
        "options"
        "config"
        "meta"
        "freeformType"
      ];
      unify = file: key: m: {
        _file = m._file or file;
        key = toString (m.key or key);
        imports = m.imports or [ ];
        options = m.options or { };
        config = if m ? config || m ? options then m.config or { } else removeAttrs m meta;
      };
      load =
        file: key: m:
        if isFunction m then
          unify file key (callModule m)
        else if isAttrs m && (m._type or "module") == "module" then
          unify file key m
        else if isAttrs m && (m._type == "if" || m._type == "override") then
          load file key { config = m; }
        else if isPath m || isString m then
          load (toString m) (toString m) (import m)
        else
          throw "A module in `${file}' is not a module (a ${builtins.typeOf m}).";

      item =
        file: key: m:
        let
          module = load file key m;
        in
        {
          inherit (module) key;
          inherit module;
        };
      # Breadth first, first occurrence of a key kept; nixpkgs merges in the reverse order.
      collected = builtins.genericClosure {
        startSet = imap0 (i: m: item "<unknown-file>" "<root ${toString i}>" m) (modules ++ [ internalModule ]);
        operator = it: imap0 (i: m: item it.module._file "${it.key}:anon-${toString (i + 1)}" m) it.module.imports;
      };
      mods = reverseList (map (it: it.module) collected);

      # All option declarations merged into one tree; an option declared twice is an error.
      mergeDecls =
        loc: decls:
        if any isOption decls then
          if length decls == 1 then
            head decls // { inherit loc; }
          else
            throw "The option `${showLoc loc}' is declared more than once (the stub does not merge declarations)."
        else
          zipAttrsWith (name: mergeDecls (loc ++ [ name ])) decls;
      declared = mergeDecls prefix (map (m: m.options) mods);

      # One level of the option tree. defs: [{ file; value; }] of the attribute sets defined at
      # loc. Returns the evaluated options below (tree) and the definitions of names nobody
      # declared (unmatched).
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
          sub =
            name:
            map (d: {
              inherit (d) file;
              value = d.value.${name};
            }) (filter (d: d.value ? ${name}) pushed);
          children = mapAttrs (
            name: d:
            if isOption d then { option = evalOption (loc ++ [ name ]) d (sub name); } else evalNode (loc ++ [ name ]) d (sub name)
          ) decl;
          own = concatMap (
            d:
            map (name: {
              loc = loc ++ [ name ];
              inherit (d) file;
            }) (filter (name: !(decl ? ${name})) (attrNames d.value))
          ) pushed;
        in
        {
          tree = mapAttrs (name: c: if c ? option then c.option else c.tree) children;
          unmatched = own ++ concatMap (c: c.unmatched or [ ]) (attrValues children);
        };

      evalOption =
        loc: opt: defs:
        let
          withDefault =
            (
              if opt ? default then
                [
                  {
                    file = "<default of ${showLoc loc}>";
                    value = mkOptionDefault opt.default;
                  }
                ]
              else
                [ ]
            )
            ++ defs;
          r = mergeDefinitions loc opt.type withDefault;
        in
        opt
        // {
          value = if opt ? apply then opt.apply r.mergedValue else r.mergedValue;
          inherit (r) highestPrio isDefined;
          definitions = map (d: d.value) r.defsFinal;
          definitionsWithLocations = r.defsFinal;
          files = map (d: d.file) r.defsFinal;
          inherit loc;
        };

      root = evalNode prefix declared (
        map (m: {
          file = m._file;
          value = m.config;
        }) mods
      );
      options = root.tree;
      valuesOf = tree: mapAttrs (n: v: if isOption v then v.value else valuesOf v) tree;
      config = valuesOf options;

      checked =
        x:
        if root.unmatched == [ ] then
          x
        else
          let
            u = head root.unmatched;
          in
          throw "The option `${showLoc u.loc}' does not exist. Definition in `${u.file}'.";

      extendModules =
        extendArgs@{
          modules ? [ ],
          specialArgs ? { },
          prefix ? [ ],
        }:
        evalModules {
          modules = evalArgs.modules ++ modules;
          specialArgs = (evalArgs.specialArgs or { }) // specialArgs;
          prefix = extendArgs.prefix or evalArgs.prefix or [ ];
        };
    in
    {
      _type = "configuration";
      options = checked options;
      config = checked (removeAttrs config [ "_module" ]);
      _module = checked config._module;
      inherit extendModules;
    };

  # nixpkgs lib/modules.nix: an attrsOf option's definitions per name, with the priority that
  # won at that level (the value is the option's own).
  mergeAttrDefinitionsWithPrio =
    opt:
    let
      perName = builtins.zipAttrsWith (n: defs: defs) (
        concatMap (
          def:
          map (mapAttrs (
            n: v: {
              inherit (def) file;
              value = v;
            }
          )) (pushDownProperties def.value)
        ) opt.definitionsWithLocations
      );
    in
    mapAttrs (n: defs: {
      value = opt.value.${n};
      inherit ((mergeDefinitions (opt.loc ++ [ n ]) types.anything defs)) highestPrio;
    }) perName;

  lib = {
    modules = { inherit mergeAttrDefinitionsWithPrio pushDownProperties dischargeProperties; };
    inherit
      mkOverride
      mkIf
      mkMerge
      mkOption
      mkOptionDefault
      types
      evalModules
      isOption
      mergeDefinitions
      filterAttrs
      reverseList
      last
      ;
    mkDefault = mkOverride 1000;
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
    mapAttrsToList = f: set: map (n: f n set.${n}) (attrNames set);
    getExe = p: "${p}/bin/${p.meta.mainProgram or p.pname or p.name}";
  };
in
lib
