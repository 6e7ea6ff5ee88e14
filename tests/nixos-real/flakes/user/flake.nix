# `flake` mode: the administrator's own flake, which imports imprint's module and the overlay
# (./host.nix, where services.imprint.overlay.path has imprint write it) itself.
# The inputs are set with --override-input by rebuild-modes.py.
{
  inputs.nixpkgs.url = "path:/nonexistent";
  inputs.imprint.url = "path:/nonexistent";
  inputs.imprint.inputs.nixpkgs.follows = "nixpkgs";

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
          ./host.nix
          {
            services.imprint = {
              enable = true;
              overlay.path = "/etc/nixos/host.nix";
              rebuild.flake.ref = "path:/etc/nixos";
              rebuild.flake.attribute = "generic";
            };
            system.stateVersion = "26.11";
          }
        ];
      };
    };
}
