# Checks of nix-module/ and of imprint's overlays against the stub lib (stub/lib.nix) or a real
# nixpkgs lib, run by
# run-checks.py with `nix-instantiate --store dummy:// --eval --strict --json`.
# Evaluates to a list of { name; ok; got; want; }.
{
  # A copy of fixtures/host.nix at a temporary path, to exercise the classic-mode import.
  classicOverlayFile ? null,
  # A real nixpkgs lib instead of the stub (run-checks.py imports $IMPRINT_NIXPKGS_LIB).
  nixpkgsLib ? null,
}:
let
  lib = if nixpkgsLib == null then import ./stub/lib.nix else nixpkgsLib;
  pkgs = import ./stub/pkgs.nix { inherit lib; };
  repo = ../..;

  eval =
    modules:
    lib.evalModules {
      modules = [
        ./stub/nixos.nix
        (repo + "/nix-module/module.nix")
      ] ++ modules;
      specialArgs = { inherit pkgs; };
    };

  # Forces a value completely; false when it throws (a conflict, a failed type check...).
  evaluates = v: (builtins.tryEval (builtins.deepSeq v true)).success;

  check = name: got: want: {
    inherit name got want;
    ok = got == want;
  };
  fails = name: v: {
    inherit name;
    got = if evaluates v then "evaluated" else "error";
    want = "error";
    ok = !(evaluates v);
  };

  failedAssertions = c: map (a: a.message) (builtins.filter (a: !a.assertion) c.assertions);
  # The rendered file: a comment line, then the settings as JSON (which is YAML).
  yaml = c: builtins.fromJSON (builtins.elemAt (builtins.match "#[^\n]*\n(.*)\n" c.environment.etc."imprint/imprint.yaml".text) 0);

  fakeStore = name: "/nix/store/11111111111111111111111111111111-${name}";
  nixpkgsInput = {
    outPath = fakeStore "nixpkgs-source";
    inputs = { };
  };
  imageFlake = {
    outPath = fakeStore "source";
    inputs = {
      nixpkgs = nixpkgsInput;
      imprint = {
        outPath = fakeStore "imprint-source";
        inputs.nixpkgs = nixpkgsInput;
      };
    };
  };

  # ---- the module, enabled on top of a qcow image, classic mode (the defaults) ---------------
  classic = (eval [
    ./fixtures/image.nix
    { services.imprint.enable = true; }
  ]).config;

  # ---- wrapper mode, as the example golden image uses it -------------------------------------
  wrapperModule = {
    services.imprint = {
      enable = true;
      rebuild.flake.base = imageFlake;
      rebuild.flake.attribute = "generic";
      rebuild.offline = true;
      sources = [
        "nocloud"
        "configdrive"
      ];
      endpoints.openstack = "http://169.254.169.254";
      kubernetes.factsAllow = [ "app.kubernetes.io/*" ];
    };
  };
  wrapper = (eval [
    ./fixtures/image.nix
    wrapperModule
  ]).config;

  # nixpkgs derives these mount options from autoResize and the mount point.
  growfsOptions = [
    "x-systemd.growfs"
    "x-initrd.mount"
  ];

  options = (eval [ ]).options.services.imprint;
  leafOptions =
    let
      go =
        prefix: node:
        if lib.isOption node then
          [
            {
              name = prefix;
              opt = node;
            }
          ]
        else
          builtins.concatLists (builtins.attrValues (builtins.mapAttrs (n: v: go "${prefix}.${n}" v) node));
    in
    go "services.imprint" options;
in
[
  # Declarations: every option is typed and documented.
  (check "every option has a description" (builtins.filter (o: !(o.opt ? description)) leafOptions) [ ])
  (check "every option has a type" (builtins.filter (o: (o.opt.type.name or "") == "anything") leafOptions) [ ])
  (check "the option set"
    (builtins.sort builtins.lessThan (map (o: o.name) leafOptions))
    (builtins.sort builtins.lessThan (map (n: "services.imprint.${n}") [
      "enable"
      "package"
      "sources"
      "endpoints"
      "overlay.priority"
      "overlay.path"
      "rebuild.enable"
      "rebuild.action"
      "rebuild.mode"
      "rebuild.flake.base"
      "rebuild.flake.attribute"
      "rebuild.flake.ref"
      "rebuild.flake.keepInputs"
      "rebuild.offline"
      "rebuild.buildDependencies"
      "rebuild.extraArgs"
      "rebuild.minMemoryMiB"
      "kubernetes.podinfoDir"
      "kubernetes.factsAllow"
      "kubernetes.factsDeny"
      "kubernetes.settleMs"
      "kubernetes.env"
      "facts"
      "settings"
    ])))

  # Enabled on a qcow image: no failed assertion, no warning, no conflict.
  (check "classic: no failed assertion" (failedAssertions classic) [ ])
  (check "classic: no warning" classic.warnings [ ])
  (check "classic: the image's root file system stays" classic.fileSystems."/" {
    device = "/dev/disk/by-label/nixos";
    label = null;
    fsType = "ext4";
    autoResize = true;
    options = growfsOptions;
  })
  (check "classic: rendered settings" (yaml classic) {
    overlay = {
      path = "/var/lib/imprint/host.nix";
      priority = 90;
      file_systems_priority = 100;
      root_file_system_priority = 100;
    };
    rebuild = {
      enable = true;
      command = [ "/nix/store/00000000000000000000000000000000-nixos-rebuild/bin/nixos-rebuild" ];
      action = "switch";
      offline = false;
      extra_args = [ ];
      min_memory_mb = 1024;
    };
    kubernetes = {
      podinfo_dir = "/etc/podinfo";
      facts_allow = [ ];
      settle_ms = 1000;
      env = {
        node_name = "NODE_NAME";
        pod_ip = "POD_IP";
        host_ip = "HOST_IP";
        service_account = "SERVICE_ACCOUNT";
      };
    };
  })
]
# The units: checks.nix's largest group, in a file of its own.
++ import ./checks-units.nix {
  inherit
    repo
    eval
    check
    classic
    wrapper
    ;
}
++ [
  (check "kubernetes.factsDeny: imprint's built-in list unless set, then rendered" {
    unset = (yaml classic).kubernetes ? facts_deny;
    set =
      (yaml (eval [
        {
          services.imprint = {
            enable = true;
            kubernetes.factsDeny = [ "*secret*" ];
            kubernetes.settleMs = 250;
          };
        }
      ]).config).kubernetes;
  } {
    unset = false;
    set = {
      podinfo_dir = "/etc/podinfo";
      facts_allow = [ ];
      facts_deny = [ "*secret*" ];
      settle_ms = 250;
      env = {
        node_name = "NODE_NAME";
        pod_ip = "POD_IP";
        host_ip = "HOST_IP";
        service_account = "SERVICE_ACCOUNT";
      };
    };
  })
  (check "disabled: nothing rendered" ((eval [ ./fixtures/image.nix ]).config.environment.etc) { })

  # Wrapper mode.
  (check "wrapper: no failed assertion" (failedAssertions wrapper) [ ])
  (check "wrapper: rendered settings" (yaml wrapper) {
    overlay = {
      path = "/var/lib/imprint/flake/host.nix";
      priority = 90;
      file_systems_priority = 100;
      root_file_system_priority = 100;
    };
    sources = [
      "nocloud"
      "configdrive"
    ];
    endpoints.openstack = "http://169.254.169.254";
    rebuild = {
      enable = true;
      command = [ "/nix/store/00000000000000000000000000000000-nixos-rebuild/bin/nixos-rebuild" ];
      action = "switch";
      offline = true;
      extra_args = [ ];
      min_memory_mb = 1024;
      flake = "path:/var/lib/imprint/flake";
      attribute = "generic";
      base = "path:${fakeStore "source"}";
    };
    kubernetes = {
      podinfo_dir = "/etc/podinfo";
      facts_allow = [ "app.kubernetes.io/*" ];
      settle_ms = 1000;
      env = {
        node_name = "NODE_NAME";
        pod_ip = "POD_IP";
        host_ip = "HOST_IP";
        service_account = "SERVICE_ACCOUNT";
      };
    };
  })
  (check "wrapper: the image's flake and every input stay in the closure, once each"
    wrapper.system.extraDependencies
    [
      (fakeStore "source")
      (fakeStore "imprint-source")
      (fakeStore "nixpkgs-source")
    ])
  (check "wrapper: a key in settings wins over the typed option"
    (yaml (eval [
      wrapperModule
      { services.imprint.settings.rebuild.action = "boot"; }
    ]).config).rebuild.action
    "boot")
  (check "wrapper: missing attribute is an assertion"
    (builtins.length (failedAssertions (eval [
      { services.imprint = { enable = true; rebuild.flake.base = imageFlake; }; }
    ]).config))
    1)
  (check "wrapper: buildDependencies = all sets includeBuildDependencies"
    (eval [
      wrapperModule
      { services.imprint.rebuild.buildDependencies = "all"; }
    ]).config.system.includeBuildDependencies
    true)
  (check "flake mode: ref and attribute" (
    let
      c = (eval [
        {
          services.imprint = {
            enable = true;
            rebuild.flake.ref = "path:/etc/nixos";
            rebuild.flake.attribute = "generic";
          };
        }
      ]).config;
    in
    {
      inherit (yaml c) overlay;
      inherit ((yaml c).rebuild) flake attribute;
      base = (yaml c).rebuild ? base;
    }
  ) {
    overlay = {
      path = "/var/lib/imprint/host.nix";
      priority = 90;
      # No image module here: only the option's default defines fileSystems.
      file_systems_priority = 1500;
      root_file_system_priority = 100;
    };
    flake = "path:/etc/nixos";
    attribute = "generic";
    base = false;
  })
]
# The overlay on top of the image, in a file of its own.
++ import ./checks-overlay.nix {
  inherit
    lib
    pkgs
    repo
    classicOverlayFile
    eval
    check
    fails
    failedAssertions
    yaml
    wrapperModule
    growfsOptions
    ;
}
