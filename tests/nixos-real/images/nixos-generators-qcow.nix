# nixos-generators' `qcow` format (formats/qcow.nix), without its make-disk-image call: the root
# file system at plain priority (100), as most generated images define it.
{ lib, modulesPath, ... }:
{
  imports = [ "${toString modulesPath}/profiles/qemu-guest.nix" ];
  fileSystems."/" = {
    device = "/dev/disk/by-label/nixos";
    autoResize = true;
    fsType = "ext4";
  };
  boot.growPartition = true;
  boot.kernelParams = [ "console=ttyS0" ];
  boot.loader.grub.device = lib.mkDefault "/dev/vda";
  boot.loader.timeout = 0;
}
