# Every image variant the tier evaluates imprint on: each entry of nixpkgs' own `image.modules`
# (what `system.build.images` builds) in this tree, the image modules of
# nixos/maintainers/scripts that list leaves out, and this tier's own shapes.
# `nixos/modules/virtualisation` has no hetzner module in this tree: Hetzner runs generic qcow
# images, the nixos-generators-qcow shape below.
{ e, base }:
let
  scripts = e.tree + "/nixos/maintainers/scripts";
in
base.config.image.modules
// {
  incus-virtual-machine = scripts + "/incus/incus-virtual-machine-image.nix";
  incus-container = scripts + "/incus/incus-container-image.nix";
  google-compute-config = e.tree + "/nixos/modules/virtualisation/google-compute-config.nix";
  # lxc-image-metadata.nix builds the metadata tarball that goes with the lxc image; alone it is
  # no system (no root file system, no boot loader), so it is evaluated as nixpkgs' images use it.
  lxc-metadata.imports = [
    base.config.image.modules.lxc
    base.config.image.modules.lxc-metadata
  ];
  openstack-config = e.tree + "/nixos/modules/virtualisation/openstack-config.nix";
  # Not an image module of nixpkgs: nixos-generators' qcow format, root at plain priority.
  nixos-generators-qcow = ./images/nixos-generators-qcow.nix;
  # Both shapes of disk-image.nix, written out: plain (this tree) and all of fileSystems at
  # lib.mkImageMediaOverride (current nixpkgs).
  disk-image-plain = import ./images/disk-image-shape.nix false;
  disk-image-media-override = import ./images/disk-image-shape.nix true;
}
