# The module alone (services.imprint.enable = true) on every image variant: the system
# instantiates down to toplevel.drvPath, no assertion fails, imprint warns about nothing.
{
  e,
  images,
  onImage,
  common,
}:
let
  inherit (e) lib;
  inherit (common) check;
  one =
    name:
    let
      sys = onImage name [ ];
    in
    [
      (check "image ${name}: no failed assertion" (common.failedAssertions sys) [ ])
      (check "image ${name}: no warning from imprint" (common.imprintWarnings sys) [ ])
      {
        name = "image ${name}: toplevel instantiates";
        got = common.drvPathOf sys;
        want = "/nix/store/...-nixos-system-*.drv";
        ok = common.isDrv (common.drvPathOf sys);
      }
    ];
  # rebuild.buildDependencies = "host-change" carries the initrd's inputs; a container has no
  # initrd.
  hostChange =
    name:
    let
      sys = onImage name [ { services.imprint.rebuild.buildDependencies = "host-change"; } ];
    in
    {
      name = "image ${name} with buildDependencies host-change: toplevel instantiates";
      got = common.drvPathOf sys;
      want = "/nix/store/...-nixos-system-*.drv";
      ok = common.isDrv (common.drvPathOf sys);
    };
in
lib.concatMap one (lib.attrNames images)
++ map hostChange [
  "nixos-generators-qcow"
  "lxc"
]
