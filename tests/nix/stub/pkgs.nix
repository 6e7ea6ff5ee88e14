# A stand-in for the few nixpkgs packages and builders the module refers to. Derivations are
# attribute sets with type = "derivation" and a fake store path, which is all the module
# system and string interpolation look at.
{ lib }:
let
  drv = name: {
    type = "derivation";
    inherit name;
    pname = name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    meta.mainProgram = name;
  };
  # pkgs/pkgs-lib/formats.nix: the value type of JSON/YAML settings.
  valueType =
    with lib.types;
    nullOr (oneOf [
      bool
      int
      float
      str
      path
      (attrsOf valueType)
      (listOf valueType)
    ])
    // {
      description = "YAML value";
    };
in
{
  formats.yaml =
    { }:
    {
      type = valueType;
      # The real one runs remarshal; the module writes its JSON itself and does not call this.
      generate = name: value: drv name // { inherit value; };
    };
  callPackage = fn: args: drv "imprint";
  stdenvNoCC = drv "stdenv";
  nixos-rebuild = drv "nixos-rebuild";
  nix = drv "nix";
  gitMinimal = drv "git";
}
