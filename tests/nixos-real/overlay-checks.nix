# The overlay imprint renders, on every image variant: the module's priorities read off the
# image select the golden overlay rendered with them (as the rebuild would evaluate it); the
# final configuration must then carry exactly the identity, keep the image's other root file
# system sub-options and /boot, and say in a warning whatever it asked for and did not get.
{
  e,
  images,
  onImage,
  common,
}:
let
  inherit (e) lib;
  inherit (common) check identity attempt;
  id = identity;

  # The options named by imprint's warnings ("imprint: OPTION is ...").
  warnedOptions =
    sys:
    lib.sort (a: b: a < b) (
      lib.unique (
        map (w: lib.head (builtins.match "imprint: ([^ ]+) .*" w)) (common.imprintWarnings sys)
      )
    );

  # Every value the overlay asks for either reaches the configuration or is named in a warning.
  # `asked` is what the overlay sets: option name -> wanted value.
  lostOptions =
    sys: asked:
    let
      c = sys.config;
      got = {
        "networking.hostName" = c.networking.hostName;
        "networking.domain" = c.networking.domain;
        "fileSystems.\"/\".device" = (c.fileSystems."/" or { }).device or null;
        "fileSystems.\"/\".fsType" = (c.fileSystems."/" or { }).fsType or null;
        "time.timeZone" = c.time.timeZone;
      };
    in
    lib.sort (a: b: a < b) (lib.attrNames (lib.filterAttrs (o: want: got.${o} != want) asked));

  askedBy =
    kind:
    {
      "networking.hostName" = id.hostName;
      "networking.domain" = id.domain;
      "time.timeZone" = id.timeZone;
    }
    // lib.optionalAttrs (kind == "disk") {
      "fileSystems.\"/\".device" = id.device;
      "fileSystems.\"/\".fsType" = id.fsType;
    };

  missing = want: have: lib.filter (k: !(builtins.elem k have)) want;

  withOverlay =
    sysA: golden:
    sysA.extendModules { modules = [ (common.overlayFile golden) ]; };

  # Down to toplevel.drvPath: one image per shape of root file system and host name (the
  # module alone instantiates on every image in image-checks.nix). Every image with the overlay
  # too would add about 80 s and 3 GB to the tier for derivations these already cover.
  instantiated = [
    "nixos-generators-qcow"
    "disk-image-media-override"
    "cloudstack"
    "amazon"
    "proxmox"
    "lxc"
    "iso"
  ];

  one =
    name:
    let
      sysA = onImage name [ ];
      kind = common.rootKind sysA;
      p = common.priorities sysA;
      golden = common.goldenFor kind p;
      sys = withOverlay sysA golden;
      c = sys.config;
      a = sysA.config;
      label = "overlay ${golden} on ${name}";
      # An image that forces the host name (proxmox: lib.mkForce "", for its own service) keeps
      # it; the overlay's domain then goes too (no FQDN without a host name).
      forcedName = sysA.options.networking.hostName.highestPrio <= 50;
      wantName = if forcedName then a.networking.hostName else id.hostName;
      wantDomain = if wantName == "" then null else id.domain;
    in
    [
      (check "${label}: rendered for the image's priorities ${builtins.toJSON p}" (builtins.pathExists (e.golden golden)) true)
      (check "${label}: no failed assertion" (common.failedAssertions sys) [ ])
      (check "${label}: networking.hostName" c.networking.hostName wantName)
      (check "${label}: networking.domain" c.networking.domain wantDomain)
      (check "${label}: networking.fqdnOrHostName evaluates" (attempt c.networking.fqdnOrHostName) (
        if wantDomain == null then wantName else "${wantName}.${wantDomain}"
      ))
      (check "${label}: root keys: the overlay's and the image's" (missing (
        [ id.rootKey ] ++ a.users.users.root.openssh.authorizedKeys.keys
      ) c.users.users.root.openssh.authorizedKeys.keys) [ ])
      (check "${label}: deploy: a normal user with its key" {
        inherit (c.users.users.deploy) isNormalUser;
        keys = c.users.users.deploy.openssh.authorizedKeys.keys;
      } { isNormalUser = true; keys = [ id.deployKey ]; })
      (check "${label}: time.timeZone" c.time.timeZone id.timeZone)
      (check "${label}: services.imprint.facts" c.services.imprint.facts id.facts)
      (check "${label}: /boot is the image's" (common.bootOf sys) (common.bootOf sysA))
      (check "${label}: the module reads the same priorities with the overlay in (a fixed point)" (common.priorities sys) p)
      (check "${label}: every value asked for arrives, or a warning names it" (warnedOptions sys) (
        lostOptions sys (askedBy kind)
      ))
    ]
    ++ lib.optional (builtins.elem name instantiated) {
      name = "${label}: toplevel instantiates";
      got = common.drvPathOf sys;
      want = "/nix/store/...-nixos-system-*.drv";
      ok = common.isDrv (common.drvPathOf sys);
    }
    ++ (
      if kind == "disk" then
        [
          (check "${label}: fileSystems.\"/\": the identity's device, the image's other sub-options" (common.rootOf sys) (
            common.rootOf sysA
            // {
              inherit (id) device fsType;
              label = null;
            }
          ))
        ]
      else
        [ (check "${label}: fileSystems.\"/\" is the image's (${kind})" (common.rootOf sys) (common.rootOf sysA)) ]
    );
in
lib.concatMap one (lib.attrNames images)
