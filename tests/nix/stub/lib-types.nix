# The stub lib's types and merge functions (lib/types.nix, lib/options.nix), split from lib.nix.
{
  # From lib.nix, which holds the module system these types call back into (lazily: evalModules
  # and mergeDefinitions take types in turn).
  showLoc,
  showValue,
  isStringLike,
  isDerivation,
  imap0,
  filterAttrs,
  last,
  mergeDefinitions,
  mkOptionDefault,
  evalModules,
}:
let
  inherit (builtins)
    all
    any
    concatLists
    concatStringsSep
    elem
    foldl'
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
    mapAttrs
    tail
    toJSON
    zipAttrsWith
    ;

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
  # emptyValue.value: what an option of the type is when nothing defines it (nixpkgs: lists [],
  # attribute sets {}, nullOr null, a submodule its defaults); without it, reading throws.
  mkOptionType =
    args:
    {
      _type = "option-type";
      description = args.name;
      check = x: true;
      merge = mergeOneOption;
      emptyValue = { };
    }
    // args;

  isNonEmpty = s: builtins.match "[ \t\n]*" s == null;

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
    nonEmptyStr = mkOptionType {
      name = "nonEmptyStr";
      description = "non-empty string";
      check = x: isString x && isNonEmpty x;
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
      emptyValue.value = { };
    };
    # Attribute sets merge per name, a package (string-like set) must be defined once, functions
    # merge their results, anything else (lists too) must be equal; mixed kinds are an error.
    anything = mkOptionType {
      name = "anything";
      merge =
        loc: defs:
        let
          kind = v: if isAttrs v && isStringLike v then "stringCoercibleSet" else builtins.typeOf v;
          common = foldl' (
            k: def:
            if kind def.value == k then k else throw "The option `${showLoc loc}' has conflicting option types."
          ) (kind (head defs).value) defs;
        in
        if common == "set" then
          (attrsOf anything).merge loc defs
        else if common == "stringCoercibleSet" then
          mergeOneOption loc defs
        else if common == "lambda" then
          arg:
          anything.merge (loc ++ [ "<function body>" ]) (
            map (def: {
              inherit (def) file;
              value = def.value arg;
            }) defs
          )
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
        emptyValue.value = [ ];
      };
    # nixpkgs: addCheck (listOf t) (l: l != []), and no empty value.
    nonEmptyListOf =
      elemType:
      listOf elemType
      // {
        name = "nonEmptyListOf";
        description = "non-empty list of ${elemType.description}";
        check = l: isList l && l != [ ];
        emptyValue = { };
      };
    attrsWith =
      {
        elemType,
        lazy ? false,
      }:
      mkOptionType {
        name = if lazy then "lazyAttrsOf" else "attrsOf";
        description = "${if lazy then "lazy attribute set" else "attribute set"} of ${elemType.description}";
        check = isAttrs;
        merge =
          loc: defs:
          let
            evals = zipAttrsWith (name: defs: mergeDefinitions (loc ++ [ name ]) elemType defs) (
              map (
                def:
                mapAttrs (n: v: {
                  inherit (def) file;
                  value = v;
                }) def.value
              ) defs
            );
          in
          # attrsOf drops a name whose definitions all went away (mkIf false); lazyAttrsOf
          # keeps the name and throws (or gives the empty value) when it is read.
          if lazy then
            mapAttrs (n: v: v.optionalValue.value or elemType.emptyValue.value or v.mergedValue) evals
          else
            mapAttrs (n: v: v.optionalValue.value) (filterAttrs (n: v: v.optionalValue ? value) evals);
        emptyValue.value = { };
      };
    attrsOf = elemType: attrsWith { inherit elemType; };
    lazyAttrsOf =
      elemType:
      attrsWith {
        inherit elemType;
        lazy = true;
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
        emptyValue.value = null;
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

    # A submodule value is the config of a module evaluation whose modules are the type's own
    # modules plus one module per definition (an attribute set is that module's config when
    # shorthandOnlyDefinesConfig, as `submodule` sets it), with `name` the last element of the
    # option's path.
    submoduleWith =
      {
        modules,
        specialArgs ? { },
        shorthandOnlyDefinesConfig ? false,
        description ? null,
      }:
      let
        base = evalModules {
          inherit specialArgs;
          modules = [ { _module.args.name = mkOptionDefault "‹name›"; } ] ++ modules;
        };
        asModule =
          def:
          if isAttrs def.value && shorthandOnlyDefinesConfig then
            {
              _file = def.file;
              config = def.value;
            }
          else
            {
              _file = def.file;
              imports = [ def.value ];
            };
      in
      mkOptionType {
        name = "submodule";
        description = if description != null then description else "submodule";
        check = x: isAttrs x || isFunction x || isPath x;
        merge =
          loc: defs:
          (base.extendModules {
            modules = [ { _module.args.name = last loc; } ] ++ map asModule defs;
            prefix = loc;
          }).config;
        emptyValue.value = base.config;
      };
    submodule =
      modules:
      submoduleWith {
        shorthandOnlyDefinesConfig = true;
        modules = if isList modules then modules else [ modules ];
      };
  };
in
types
