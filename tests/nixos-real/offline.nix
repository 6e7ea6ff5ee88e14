# Offline measurement (not a check): the toplevel derivation of the README's image shape (a
# nixos-generators qcow with the module) for a base identity and for each identity change, so
# offline.py can list the derivations each change rebuilds.
{ nixpkgs, repo }:
let
  e = import ./eval.nix { inherit nixpkgs repo; };
  base = e.system [
    e.module
    ./images/nixos-generators-qcow.nix
    {
      services.imprint.enable = true;
      services.imprint.rebuild.buildDependencies = "host-change";
      # As the README's image: keys are only used with sshd.
      services.openssh.enable = true;
    }
  ];
  identity = {
    networking.hostName = "web-1";
    networking.domain = "example.org";
    users.users.root.openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a" ];
    time.timeZone = "Europe/Paris";
    fileSystems."/".device = e.lib.mkOverride 90 "/dev/disk/by-uuid/0b2c7a8e-4f1d-4c1b-9a51-3f0e5d6c7b8a";
  };
  changes = {
    none = { };
    hostName = { networking.hostName = e.lib.mkForce "web-2"; };
    domain = { networking.domain = e.lib.mkForce "example.net"; };
    keys = { users.users.root.openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl b" ]; };
    timeZone = { time.timeZone = e.lib.mkForce "Europe/Berlin"; };
    rootDevice = { fileSystems."/".device = e.lib.mkForce "/dev/disk/by-uuid/11111111-2222-3333-4444-555555555555"; };
  };
in
builtins.mapAttrs (
  n: c: (base.extendModules { modules = [ identity c ]; }).config.system.build.toplevel.drvPath
) changes
// {
  stdenvNoCC = e.pkgs.stdenvNoCC.drvPath;
}
