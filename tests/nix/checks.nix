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
  yaml = c: c.environment.etc."imprint/imprint.yaml".source.value;

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

  # ---- the overlay merged into the image (what the wrapper flake's extendModules does) -------
  withOverlay = (eval [
    ./fixtures/image.nix
    wrapperModule
    ./fixtures/host.nix
  ]).config;

  # The priority table of ../../../shared/reference/nixos.md, measured on real NixOS: the stub
  # must give the same answers, or its other verdicts are worthless.
  hostNameWith =
    image: overlay:
    (eval [
      { networking.hostName = image; }
      ({ lib, ... }: { networking.hostName = overlay lib; })
    ]).config.networking.hostName;
  # nixpkgs derives these mount options from autoResize and the mount point.
  growfsOptions = [
    "x-systemd.growfs"
    "x-initrd.mount"
  ];

  # ---- an image built with nixpkgs' disk-image.nix: all of fileSystems at mkImageMediaOverride --
  mediaImage = ./fixtures/media-image.nix;
  # Overlays as imprint renders them (tests/unit/render.cc writes these golden files): the root
  # file system at the image's priorities (60 outside), and at plain ones.
  renderedForMedia = repo + "/tests/fixtures/golden/image-media-override.nix";
  renderedPlain = repo + "/tests/fixtures/golden/full.nix";
  onMedia = (eval [
    mediaImage
    wrapperModule
  ]).config;
  onMediaWithOverlay = (eval [
    mediaImage
    wrapperModule
    renderedForMedia
  ]).config;

  deviceWith =
    overlay:
    (eval [
      ./fixtures/image.nix
      ({ lib, ... }: { fileSystems."/".device = overlay lib; })
    ]).config.fileSystems."/".device;

  # ---- units: units/*.{service,path} and the module's units in one shape ---------------------
  # key -> its values split into words, every section together (no key is in two sections);
  # comments, section headers and X-StopOnRemoval (NixOS only) left out.
  words = v: builtins.filter (w: builtins.isString w && w != "") (builtins.split "[ \t]+" v);
  unitFile =
    name:
    let
      lines = builtins.filter builtins.isString (builtins.split "\n" (builtins.readFile (repo + "/units/${name}")));
      pairs = builtins.filter (m: m != null) (map (builtins.match "([A-Za-z]+)=(.*)") lines);
    in
    builtins.foldl' (
      acc: kv:
      acc
      // {
        ${builtins.elemAt kv 0} = (acc.${builtins.elemAt kv 0} or [ ]) ++ words (builtins.elemAt kv 1);
      }
    ) { } pairs;
  # The module's store path of imprint is `imprint` in units/ (found on PATH there).
  imprintExe = "/nix/store/00000000000000000000000000000000-imprint/bin/imprint";
  unitValue =
    v:
    if builtins.isBool v then
      [ (if v then "yes" else "no") ]
    else if builtins.isList v then
      builtins.concatLists (map unitValue v)
    else
      words (builtins.replaceStrings [ imprintExe ] [ "imprint" ] (toString v));
  nixosUnit =
    u:
    let
      lists = {
        Description = u.description or null;
        Documentation = u.documentation or [ ];
        Wants = u.wants or [ ];
        After = u.after or [ ];
        Before = u.before or [ ];
        Conflicts = u.conflicts or [ ];
        WantedBy = u.wantedBy or [ ];
      };
      sections = (u.unitConfig or { }) // (u.serviceConfig or { }) // (u.pathConfig or { });
      merged = lists // removeAttrs sections [ "X-StopOnRemoval" ];
      empty = builtins.filter (n: merged.${n} == null || merged.${n} == [ ]) (builtins.attrNames merged);
    in
    builtins.mapAttrs (n: unitValue) (removeAttrs merged empty);
  passEnvironments =
    c: map (n: c.systemd.services.${n}.serviceConfig.PassEnvironment) (builtins.attrNames c.systemd.services);

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
  # Units: the module declares what units/ ships, key for key (units/ is the reference).
  (check "classic: units" {
    services = builtins.attrNames classic.systemd.services;
    paths = builtins.attrNames classic.systemd.paths;
  } {
    services = [
      "imprint"
      "imprint-kubernetes"
      "imprint-local"
    ];
    paths = [ "imprint-kubernetes" ];
  })
  (check "classic: no unit file named like the transient rebuild unit"
    (classic.systemd.services ? imprint-rebuild)
    false)
  (check "units/imprint-local.service mirrored by the module"
    (nixosUnit classic.systemd.services.imprint-local)
    (unitFile "imprint-local.service"))
  (check "units/imprint.service mirrored by the module"
    (nixosUnit classic.systemd.services.imprint)
    (unitFile "imprint.service"))
  (check "units/imprint-kubernetes.service mirrored by the module"
    (nixosUnit classic.systemd.services.imprint-kubernetes)
    (unitFile "imprint-kubernetes.service"))
  (check "units/imprint-kubernetes.path mirrored by the module"
    (nixosUnit classic.systemd.paths.imprint-kubernetes)
    (unitFile "imprint-kubernetes.path"))
  # Spelled out as well, so that a wrong edit of units/ does not carry the module along.
  (check "imprint-local.service: early boot, local only, no rebuild" (
    let
      u = nixosUnit classic.systemd.services.imprint-local;
    in
    {
      inherit (u) DefaultDependencies Before ExecStart SuccessExitStatus Type;
    }
  ) {
    DefaultDependencies = [ "no" ];
    Before = [
      "network-pre.target"
      "imprint.service"
      "shutdown.target"
      "sshd.service"
      "systemd-user-sessions.service"
    ];
    ExecStart = [
      "imprint"
      "--no-systemd"
      "run"
      "--local-only"
      "--no-rebuild"
    ];
    SuccessExitStatus = [ "3" ];
    Type = [ "oneshot" ];
  })
  (check "imprint.service: notify, after network-online.target, before sshd, not before network-pre" (
    let
      u = nixosUnit classic.systemd.services.imprint;
    in
    {
      inherit (u) After Before Type TimeoutStartSec;
    }
  ) {
    After = [
      "network-online.target"
      "imprint-local.service"
      "dbus.service"
    ];
    Before = [
      "sshd.service"
      "systemd-user-sessions.service"
    ];
    Type = [ "notify" ];
    TimeoutStartSec = [ "5min" ];
  })
  (check "ExecStart is the package's imprint by absolute path" (
    map (n: builtins.head (builtins.split " " classic.systemd.services.${n}.serviceConfig.ExecStart)) (
      builtins.attrNames classic.systemd.services
    )
  ) (builtins.genList (_: "/nix/store/00000000000000000000000000000000-imprint/bin/imprint") 3))
  (check "every unit running imprint: never restarted or stopped by the switch, same conditions" (
    builtins.mapAttrs (n: u: {
      inherit (u) restartIfChanged;
      inherit (u.unitConfig) X-StopOnRemoval ConditionKernelCommandLine ConditionPathExists;
    }) classic.systemd.services
  ) (
    builtins.listToAttrs (
      map
        (name: {
          inherit name;
          value = {
            restartIfChanged = false;
            X-StopOnRemoval = false;
            ConditionKernelCommandLine = "!imprint=off";
            ConditionPathExists = "!/etc/imprint/imprint.disabled";
          };
        })
        [
          "imprint"
          "imprint-kubernetes"
          "imprint-local"
        ]
    )
  ))
  (check "kubernetes.env: a variable added is passed by every unit, the defaults stay" (
    passEnvironments (eval [
      {
        services.imprint = {
          enable = true;
          kubernetes.env.zone = "NODE_ZONE";
        };
      }
    ]).config
  ) (builtins.genList (_: "KUBERNETES_SERVICE_HOST NODE_NAME POD_IP HOST_IP SERVICE_ACCOUNT NODE_ZONE") 3))
  (check "kubernetes.env set in settings reaches PassEnvironment too" (
    passEnvironments (eval [
      {
        services.imprint = {
          enable = true;
          settings.kubernetes.env.node_name = "MY_NODE";
        };
      }
    ]).config
  ) (builtins.genList (_: "KUBERNETES_SERVICE_HOST NODE_NAME POD_IP HOST_IP SERVICE_ACCOUNT MY_NODE") 3))
  (check "wrapper: sources without kubernetes: no kubernetes units" {
    services = builtins.attrNames wrapper.systemd.services;
    paths = wrapper.systemd.paths;
  } {
    services = [
      "imprint"
      "imprint-local"
    ];
    paths = { };
  })
  (check "sources with kubernetes: kubernetes units, the path unit on podinfoDir" (
    let
      c = (eval [
        {
          services.imprint = {
            enable = true;
            sources = [ "kubernetes" ];
            kubernetes.podinfoDir = "/run/podinfo";
          };
        }
      ]).config;
    in
    {
      services = builtins.attrNames c.systemd.services;
      inherit (c.systemd.paths.imprint-kubernetes) pathConfig;
      condition = c.systemd.paths.imprint-kubernetes.unitConfig.ConditionPathIsDirectory;
    }
  ) {
    services = [
      "imprint"
      "imprint-kubernetes"
      "imprint-local"
    ];
    pathConfig = {
      PathChanged = "/run/podinfo";
      Unit = "imprint-kubernetes.service";
    };
    condition = "/run/podinfo";
  })
  (check "settings.kubernetes.podinfo_dir wins for the path unit as for imprint"
    (eval [
      {
        services.imprint = {
          enable = true;
          settings.kubernetes.podinfo_dir = "/srv/podinfo";
        };
      }
    ]).config.systemd.paths.imprint-kubernetes.pathConfig.PathChanged
    "/srv/podinfo")
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

  # The overlay on top of the image.
  (check "overlay: hostname, domain, time zone" {
    inherit (withOverlay.networking) hostName domain;
    inherit (withOverlay.time) timeZone;
  } {
    hostName = "web-1";
    domain = "example.org";
    timeZone = "Europe/Berlin";
  })
  (check "overlay: root device replaced, the image's other sub-options kept" withOverlay.fileSystems."/" {
    device = "/dev/vda3";
    label = null;
    fsType = "ext4";
    autoResize = true;
    options = growfsOptions;
  })
  (check "overlay: keys of image and host both kept" withOverlay.users.users.root.openssh.authorizedKeys.keys [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIImage image@build"
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHost host@example"
  ])
  (check "overlay: facts" withOverlay.services.imprint.facts {
    labels."app.kubernetes.io/name" = "web";
    platform.region = "eu-central-1";
  })
  (check "overlay: no failed assertion, no warning" (failedAssertions withOverlay ++ withOverlay.warnings) [ ])
  (check "overlay: a label in the image is cleared"
    (eval [
      { fileSystems."/".label = "nixos"; }
      ./fixtures/host.nix
    ]).config.fileSystems."/".label
    null)
  (check "overlay: the admin's mkForce still wins"
    (eval [
      ./fixtures/host.nix
      ({ lib, ... }: { networking.hostName = lib.mkForce "pinned"; })
    ]).config.networking.hostName
    "pinned")

  # The measured priority table, reproduced.
  (check "table: image plain vs overlay mkOverride 90" (hostNameWith "image-host" (lib: lib.mkOverride 90 "web-1")) "web-1")
  (fails "table: image plain vs overlay plain conflicts" (hostNameWith "image-host" (lib: "web-1")))
  (check "table: image plain vs overlay mkDefault: image wins silently" (hostNameWith "image-host" (lib: lib.mkDefault "web-1")) "image-host")
  (fails "table: image mkDefault vs overlay mkDefault conflicts" (
    (eval [
      ({ lib, ... }: { networking.hostName = lib.mkDefault "kexec"; })
      ({ lib, ... }: { networking.hostName = lib.mkDefault "web-1"; })
    ]).config.networking.hostName
  ))
  (check "table: image mkDefault vs overlay plain" (
    (eval [
      ({ lib, ... }: { networking.hostName = lib.mkDefault "kexec"; })
      { networking.hostName = "web-1"; }
    ]).config.networking.hostName
  ) "web-1")
  (check "table: nothing in the image, overlay plain" ((eval [ { networking.hostName = "web-1"; } ]).config.networking.hostName) "web-1")
  (fails "table: device plain vs plain conflicts" (deviceWith (lib: "/dev/vda1")))
  (check "table: device vs overlay mkDefault: image wins silently" (deviceWith (lib: lib.mkDefault "/dev/vda1")) "/dev/disk/by-label/nixos")
  (check "table: device vs overlay mkOverride 90" (deviceWith (lib: lib.mkOverride 90 "/dev/vda1")) "/dev/vda1")
  (check "table: device vs overlay mkForce" (deviceWith (lib: lib.mkForce "/dev/vda1")) "/dev/vda1")
  (check "image media override (disk-image.nix) beats the overlay's root device" (
    (eval [
      ({ lib, ... }: {
        fileSystems = lib.mkImageMediaOverride {
          "/" = {
            device = "/dev/disk/by-label/nixos";
            autoResize = true;
            fsType = "ext4";
          };
        };
      })
      ./fixtures/host.nix
    ]).config.fileSystems."/".device
  ) "/dev/disk/by-label/nixos")
  (check "image media: the module reads the image's priorities off the evaluation" {
    inherit ((yaml onMedia).overlay) file_systems_priority root_file_system_priority;
  } {
    file_systems_priority = 60;
    root_file_system_priority = 100;
  })
  (check "image media: the overlay rendered at them replaces the root device, keeps the rest" {
    root = onMediaWithOverlay.fileSystems."/";
    boot = onMediaWithOverlay.fileSystems."/boot".device;
  } {
    root = {
      device = "/dev/disk/by-uuid/0b2c7a8e-4f1d-4c1b-9a51-3f0e5d6c7b8a";
      label = null;
      fsType = "ext4";
      autoResize = true;
      options = growfsOptions;
    };
    boot = "/dev/disk/by-label/ESP";
  })
  (check "image media: with the overlay in, the module still reads 60 and 100 (a fixed point)" {
    inherit ((yaml onMediaWithOverlay).overlay) file_systems_priority root_file_system_priority;
  } {
    file_systems_priority = 60;
    root_file_system_priority = 100;
  })
  (check "image media: no failed assertion, no warning" (
    failedAssertions onMediaWithOverlay ++ onMediaWithOverlay.warnings
  ) [ ])
  (check "an image whose \"/\" entry is mkDefault: the module reads 100 and 1000" (
    (yaml (eval [
      ({ lib, ... }: {
        fileSystems."/" = lib.mkDefault {
          device = "/dev/disk/by-label/nixos";
          fsType = "ext4";
        };
      })
      wrapperModule
    ]).config).overlay
  ) {
    path = "/var/lib/imprint/flake/host.nix";
    priority = 90;
    file_systems_priority = 100;
    root_file_system_priority = 1000;
  })
  (check "image media: an overlay rendered at plain priorities is dropped (why the settings exist)" (
    (eval [
      mediaImage
      wrapperModule
      renderedPlain
    ]).config.fileSystems."/".device
  ) "/dev/disk/by-label/nixos")
  (check "plain image: the overlay rendered by imprint replaces the root device" (
    (eval [
      ./fixtures/image.nix
      wrapperModule
      renderedPlain
    ]).config.fileSystems."/"
  ) {
    device = "/dev/disk/by-uuid/0b2c7a8e-4f1d-4c1b-9a51-3f0e5d6c7b8a";
    label = null;
    fsType = "ext4";
    autoResize = true;
    options = growfsOptions;
  })
  (fails "undeclared option is an error" ((eval [ { networking.hostname = "typo"; } ]).config.networking))

  # Classic mode: this module imports the overlay from its fixed path when it exists.
  (check "classic import: overlay read when present and in classic mode" (
    if classicOverlayFile == null then
      "skipped"
    else
      (lib.evalModules {
        modules = [
          ./stub/nixos.nix
          (repo + "/nix-module/module.nix")
          (import (repo + "/nix-module/classic-overlay.nix") classicOverlayFile)
          ./fixtures/image.nix
          { services.imprint.enable = true; }
        ];
        specialArgs = { inherit pkgs; };
      }).config.networking.hostName
  ) (if classicOverlayFile == null then "skipped" else "web-1"))
  (check "classic import: ignored in wrapper mode" (
    if classicOverlayFile == null then
      "skipped"
    else
      (lib.evalModules {
        modules = [
          ./stub/nixos.nix
          (repo + "/nix-module/module.nix")
          (import (repo + "/nix-module/classic-overlay.nix") classicOverlayFile)
          wrapperModule
        ];
        specialArgs = { inherit pkgs; };
      }).config.networking.hostName
  ) (if classicOverlayFile == null then "skipped" else "nixos"))
]
