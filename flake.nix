{
  description = "imprint: one golden NixOS image, many hosts; each copy names itself and rebuilds offline";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      overlays.default = final: prev: { imprint = final.callPackage ./nix-module/package.nix { }; };

      packages = forAllSystems (pkgs: rec {
        imprint = pkgs.callPackage ./nix-module/package.nix { };
        default = imprint;
      });

      # `imports = [ imprint.nixosModules.default ]; services.imprint.enable = true;`
      # The package is built with the importing system's own nixpkgs (services.imprint.package).
      nixosModules.default = ./nix-module/module.nix;
      nixosModules.imprint = ./nix-module/module.nix;

      # The README's golden image (examples/nixos): a qcow2 whose copies name themselves and
      # rebuild offline from this flake, pinned by its store path.
      #   nix build .#nixosConfigurations.generic.config.system.build.image
      nixosConfigurations.generic = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          self.nixosModules.default
          ./examples/nixos/image.nix
          { services.imprint.rebuild.flake.base = self; }
        ];
      };

      # Need nixpkgs (vm also KVM); not run by this repository's offline CI (tests/nix is).
      checks = forAllSystems (pkgs: {
        package = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        # The module on top of the qcow image, evaluated by real NixOS: no warning, no failed
        # assertion, no conflict, and the toplevel instantiates (nothing is built).
        module-eval =
          let
            system = self.nixosConfigurations.generic;
            failed = builtins.filter (a: !a.assertion) system.config.assertions;
            problems = system.config.warnings ++ map (a: a.message) failed;
          in
          assert pkgs.lib.assertMsg (problems == [ ]) (builtins.concatStringsSep "\n" problems);
          pkgs.writeText "imprint-module-eval" system.config.system.build.toplevel.drvPath;
        vm = pkgs.testers.runNixOSTest (import ./tests/nixos/imprint-vm.nix { imprint = self; });
      });
    };
}
