# Both shapes of nixpkgs' virtualisation/disk-image.nix, as one function of how it wraps
# `fileSystems`: this tree's defines it at plain priority, current nixpkgs wraps all of it in
# lib.mkImageMediaOverride (60). The same image otherwise, so a difference is the shape's.
wrap:
{ lib, modulesPath, ... }:
{
  imports = [ "${toString modulesPath}/profiles/qemu-guest.nix" ];
  fileSystems = (if wrap then lib.mkImageMediaOverride else lib.id) {
    "/" = {
      device = "/dev/disk/by-label/nixos";
      autoResize = true;
      fsType = "ext4";
    };
    "/boot" = {
      device = "/dev/disk/by-label/ESP";
      fsType = "vfat";
    };
  };
  boot.growPartition = true;
  boot.loader.grub = {
    device = "nodev";
    efiSupport = true;
    efiInstallAsRemovable = true;
  };
}
