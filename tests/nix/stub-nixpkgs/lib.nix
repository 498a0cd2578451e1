# The part of nixpkgs' lib that tandem's flake.nix uses, with nixpkgs' semantics
# (lib/attrsets.nix, lib/strings.nix, lib/trivial.nix). A function missing here is one
# the flake does not use yet: add it, with the same meaning as in nixpkgs.
let
  inherit (builtins) attrNames concatMap concatStringsSep listToAttrs readFile stringLength substring;

  removePrefix = prefix: str:
    let n = stringLength prefix; in
    if substring 0 n str == prefix then substring n (stringLength str - n) str else str;

  removeSuffix = suffix: str:
    let n = stringLength suffix; l = stringLength str; in
    if n <= l && substring (l - n) n str == suffix then substring 0 (l - n) str else str;
in
{
  inherit removePrefix removeSuffix;

  genAttrs = names: f: listToAttrs (map (name: { inherit name; value = f name; }) names);

  filterAttrs = pred: set: listToAttrs (concatMap
    (name: let value = set.${name}; in if pred name value then [ { inherit name value; } ] else [ ])
    (attrNames set));

  optionalAttrs = cond: as: if cond then as else { };

  # nixpkgs: makeSearchPathOutput "bin" "bin"; the stub's packages have one output.
  makeBinPath = paths: concatStringsSep ":" (map (p: "${p}/bin") paths);

  fileContents = file: removeSuffix "\n" (readFile file);

  # lib/strings.nix: a package's name without its version (pname, else parsed from name)
  getName = x:
    let parse = drv: (builtins.parseDrvName drv).name; in
    if builtins.isString x then parse x else x.pname or (parse x.name);
}
