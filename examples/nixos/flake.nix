# A golden image flake of your own, as the README walks through it:
#
#   nix build .#nixosConfigurations.generic.config.system.build.image   # -> result/*.qcow2
#
# Boot as many copies as you like with a NoCloud seed (or on a cloud); each one names itself
# and runs `nixos-rebuild switch --flake path:/var/lib/imprint/flake#generic` offline.
{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    # This repository, from a checkout (nix build ./examples/nixos#...). Once you copy this
    # flake out of the checkout, point it at the published repository instead, e.g.
    # imprint.url = "github:<owner>/imprint";
    imprint.url = "path:../..";
    imprint.inputs.nixpkgs.follows = "nixpkgs";
  };

  outputs =
    {
      self,
      nixpkgs,
      imprint,
    }:
    {
      nixosConfigurations.generic = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          imprint.nixosModules.default
          ./image.nix
          # The image's own flake, pinned by its store path: the base of the wrapper flake
          # that the copies rebuild from; its inputs stay in the image (rebuild.flake.keepInputs).
          { services.imprint.rebuild.flake.base = self; }
        ];
      };
    };
}
