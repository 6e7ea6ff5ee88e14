# The real nixpkgs tree as a flake, with this tree's one workaround (./workaround.nix) added to
# every nixosSystem: the flakes under test take it in place of their nixpkgs input
# (`--override-input nixpkgs path:<this directory>`), so they are evaluated unchanged.
{
  inputs.nixpkgs.url = "path:/srv/nixpkgs";
  outputs =
    { self, nixpkgs }:
    {
      inherit (nixpkgs) legacyPackages;
      lib = nixpkgs.lib // {
        nixosSystem =
          args:
          nixpkgs.lib.nixosSystem (
            args // { modules = (args.modules or [ ]) ++ [ { nixpkgs.overlays = [ (import ./workaround.nix) ]; } ]; }
          );
      };
    };
}
