# The real nixpkgs tree, imported once: one package set shared by every configuration this tier
# evaluates (nixpkgs.pkgs), so one Nix process evaluates dozens of NixOS systems.
{ nixpkgs, repo }:
let
  tree = /. + nixpkgs;
  src = /. + repo;

  # The one workaround this tree needs (see the file).
  workaround = import ./flakes/nixpkgs-for-this-tree/workaround.nix;

  pkgs = import tree {
    system = "x86_64-linux";
    overlays = [ workaround ];
  };
  inherit (pkgs) lib;

  evalConfig = import (tree + "/nixos/lib/eval-config.nix");

  common = {
    nixpkgs.pkgs = pkgs;
    system.stateVersion = "26.11";
  };

  # A NixOS system from these modules, on the shared package set.
  system =
    modules:
    evalConfig {
      system = null;
      modules = [ common ] ++ modules;
    };
in
{
  inherit
    tree
    src
    pkgs
    lib
    system
    workaround
    ;
  module = src + "/nix-module/module.nix";
  golden = name: src + "/tests/fixtures/golden/${name}";
}
