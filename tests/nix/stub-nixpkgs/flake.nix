# NOT nixpkgs. A stand-in that tests/nix/check.sh substitutes for the flake's pinned
# nixpkgs (--override-input nixpkgs path:tests/nix/stub-nixpkgs) on machines that cannot
# fetch nixpkgs. It provides only what tandem's flake.nix uses, each attribute one that
# exists in the real nixpkgs, and builds with the host's compiler and libraries (see
# default.nix). Passing against it says the flake is wired right, nothing about nixpkgs.
{
  description = "stub nixpkgs for tandem's flake-wiring check (not nixpkgs)";

  outputs = { self }: {
    lib = import ./lib.nix;
    legacyPackages.x86_64-linux = import ./default.nix { system = "x86_64-linux"; };
  };
}
