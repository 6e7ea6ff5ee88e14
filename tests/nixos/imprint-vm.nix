# NixOS VM test (flake output checks.<system>.vm): a copy of the image boots with a NoCloud
# seed on a cidata ISO; imprint names it web-1, writes the wrapper flake and rebuilds offline
# (no substituters, --option substitute false); the test asserts the live and the declared
# host name and the new system generation.
#
# Needs nixpkgs and KVM, so this repository's offline CI does not run it (tests/nix checks the
# module against a stub lib instead). Written against nixpkgs' runNixOSTest; NOT RUN YET.
{ imprint }:
{ pkgs, lib, ... }:
let
  # The copy's own modules, shared by the test node and by the image flake it rebuilds from,
  # so that the configuration rebuilt in the guest is the one it runs, plus the overlay.
  machineModule = pkgs.writeText "machine.nix" ''
    { lib, modulesPath, ... }:
    {
      imports = [
        "''${modulesPath}/virtualisation/qemu-vm.nix"
        "''${modulesPath}/testing/test-instrumentation.nix"
      ];
      virtualisation.memorySize = 2048;
      nix.settings.experimental-features = [ "nix-command" "flakes" ];
      nix.settings.substituters = lib.mkForce [ ];
      documentation.enable = false;
      services.imprint = {
        enable = true;
        sources = [ "nocloud" ];
        rebuild.flake.attribute = "generic";
        rebuild.offline = true;
        rebuild.buildDependencies = "all";
      };
    }
  '';

  # The image's flake, named "source" like every flake source in the store, so that its path is
  # the same whether it is reached as `path:''${imageFlake}` or as the flake's `self`.
  imageFlake = pkgs.runCommand "source" { } ''
    mkdir $out
    cp ${machineModule} $out/machine.nix
    cat > $out/flake.nix <<'FLAKE'
    {
      inputs.nixpkgs.url = "path:${pkgs.path}";
      inputs.imprint.url = "path:${imprint}";
      inputs.imprint.inputs.nixpkgs.follows = "nixpkgs";
      outputs = { self, nixpkgs, imprint }: {
        nixosConfigurations.generic = nixpkgs.lib.nixosSystem {
          system = "${pkgs.stdenv.hostPlatform.system}";
          modules = [
            imprint.nixosModules.default
            ./machine.nix
            { services.imprint.rebuild.flake.base = self; }
          ];
        };
      };
    }
    FLAKE
  '';

  seed = pkgs.runCommand "cidata.iso" { nativeBuildInputs = [ pkgs.xorriso ]; } ''
    mkdir seed
    printf 'instance-id: iid-web-1\nlocal-hostname: web-1\n' > seed/meta-data
    printf '#cloud-config\n' > seed/user-data
    xorriso -as mkisofs -o $out -V cidata -J -R seed
  '';
in
{
  name = "imprint";

  nodes.machine = {
    imports = [
      imprint.nixosModules.default
      "${machineModule}"
    ];
    services.imprint.rebuild.flake.base = "path:${imageFlake}";
    virtualisation.qemu.options = [ "-cdrom ${seed}" ];
    # Registered in the guest's store database, so the offline rebuild finds them.
    virtualisation.additionalPaths = [
      imageFlake
      pkgs.path
      imprint.outPath
    ];
  };

  testScript = ''
    machine.start()
    # imprint.service is a oneshot that waits for the transient rebuild unit.
    machine.wait_for_unit("imprint.service")
    machine.succeed('test "$(hostname)" = web-1')
    machine.succeed("grep -q web-1 /var/lib/imprint/flake/host.nix")
    machine.succeed("grep -q 'inputs.base.url' /var/lib/imprint/flake/flake.nix")
    # The rebuilt generation declares the name (NixOS writes /etc/hostname from it).
    machine.succeed("grep -qx web-1 /etc/hostname")
    machine.succeed("test -e /nix/var/nix/profiles/system-2-link")
    machine.succeed("imprint status")
    # A second run has nothing to do.
    machine.succeed("imprint run")
    machine.fail("test -e /nix/var/nix/profiles/system-3-link")
  '';
}
