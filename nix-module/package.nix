# imprint, built from this repository with nixpkgs' own libraries (callPackage-style).
#
#   pkgs.callPackage ./nix-module/package.nix { }
#
# The checkPhase runs the tests that need no network: unit tests (fixtures in each platform's
# real format) and integration tests (HTTP servers on loopback, a private dbus-daemon); both
# work inside the build sandbox. The nix-instantiate and system tiers (tests/nix, tests/system)
# are left to CI: they need Nix itself, systemd-nspawn or qemu.
{
  lib,
  stdenv,
  cmake,
  ninja,
  pkg-config,
  systemd,
  yaml-cpp,
  nlohmann_json,
  curl,
  spdlog,
  cli11,
  gtest,
  httplib,
  dbus,
  zlib,
  openssl,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "imprint";
  version = "0.1.0";

  # Only what the build reads: a README or flake.nix edit does not rebuild the package.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../CMakeLists.txt
      ../agent
      ../providers
      ../units
      ../tests
    ];
  };

  nativeBuildInputs = [
    cmake
    ninja
    pkg-config
  ];

  buildInputs = [
    systemd
    yaml-cpp
    nlohmann_json
    curl
    spdlog
    cli11
    zlib
    openssl
  ];

  checkInputs = [
    gtest
    httplib
  ];
  # The integration tests start their own hermetic dbus-daemon (no service activation).
  nativeCheckInputs = [ dbus ];

  cmakeFlags = [
    (lib.cmakeBool "IMPRINT_BUILD_TESTS" finalAttrs.doCheck)
  ];

  doCheck = true;
  checkPhase = ''
    runHook preCheck
    ctest --output-on-failure --label-regex '^(unit|integration)$' -j "$NIX_BUILD_CORES"
    runHook postCheck
  '';

  # The unit files are installed for distributions that use them as they are; the NixOS
  # module declares its own units (systemd.services) and does not read these.
  postInstall = ''
    for unit in $out/lib/systemd/system/*; do
      [ -f "$unit" ] && substituteInPlace "$unit" --replace-quiet /usr/bin/imprint "$out/bin/imprint"
    done
  '';

  meta = {
    description = "Gives each copy of one golden NixOS image its own identity, then rebuilds it offline";
    platforms = lib.platforms.linux;
    mainProgram = "imprint";
    license = lib.licenses.mit;
  };
})
