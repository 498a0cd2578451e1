{
  description = "tandem: what N concurrent LLM agents really gain against Ollama servers, and what the client's concurrency runtime costs (one C tree, one binary per runtime)";

  # Pinned here, never the indirect `nixpkgs` (which follows the machine's registry):
  # nixos-25.05 as of 2025-09-03 (channel nixos-25.05.809350.0e6684e6c575). flake.lock
  # locks the same revision; `nix flake update` can only add its narHash, never move it.
  # To move nixpkgs, change the revision here, then `nix flake update` (see ARTIFACT.md).
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/0e6684e6c5755325f801bda1751a8a4038145d7d";

  outputs = { self, nixpkgs }:
    let
      system = "x86_64-linux";
      inherit (nixpkgs) lib;

      # Evaluated purely: the system is named, nothing is read from the environment.
      pkgs = import nixpkgs { inherit system; };
      # Only the GPU shell and .#ollama-cuda evaluate this one. nixpkgs' ollama-cuda is
      # Ollama (MIT) built against NVIDIA's CUDA libraries, whose licence (CUDA EULA) is
      # unfree, so nixpkgs refuses to evaluate it unless told otherwise. Allowed here: those
      # CUDA packages by name (what ollama-cuda uses at the pinned revision: the runtime,
      # cuBLAS, CCCL's headers and nvcc), nothing else; never allowUnfree globally. If a
      # nixpkgs update brings in another one, evaluation stops with "Package '<name>' has
      # an unfree license ('CUDA EULA'), refusing to evaluate": add that name here.
      cudaUnfree = [ "cuda_cudart" "libcublas" "cuda_cccl" "cuda_nvcc" ];
      pkgsCuda = import nixpkgs {
        inherit system;
        config.allowUnfreePredicate = pkg: builtins.elem (lib.getName pkg) cudaUnfree;
      };

      version = lib.fileContents ./VERSION;

      # The client runtimes: every variants/<v>/variant.mk, the very list the Makefile
      # builds (`make list-variants`); the controls (curl-1kb, smol-8kb, blocking) too.
      # Adding a variant is adding its directory: no edit here.
      variants = builtins.attrNames (lib.filterAttrs
        (v: type: type == "directory" && builtins.pathExists (./variants + "/${v}/variant.mk"))
        (builtins.readDir ./variants));

      # The C tree as the builds see it: the flake itself, the docs, the reference data
      # and results are left out, so editing them rebuilds nothing.
      src = builtins.path {
        name = "tandem-${version}-src";
        path = ./.;
        filter = path: _type:
          !(builtins.elem (lib.removePrefix (toString ./. + "/") (toString path)) [
            "flake.nix" "flake.lock" "ARTIFACT.md" "README.md" "tests/nix"
            "build" "results" "report" ".cache" "result"
          ]);
      };

      # Found by pkg-config, exactly as on Debian; cmocka only for the unit tests.
      # libcyaml.pc links -lyaml and nixpkgs' libcyaml does not propagate libyaml.
      libraries = [ pkgs.curl pkgs.libuv pkgs.libcyaml pkgs.libyaml pkgs.jansson ];

      common = {
        inherit version src;
        nativeBuildInputs = [ pkgs.pkg-config ];
        buildInputs = libraries;
        enableParallelBuilding = true;
        # The build and its tests run scripts of the tree through `#!/usr/bin/env ...`
        # (tests/*.sh, scripts/*.sh, and the Python client clients/python-httpx, which the
        # Makefile copies to build/bin and the integration tests run), and the build
        # sandbox has no /usr/bin/env.
        postPatch = ''
          patchShebangs tests scripts clients
        '';
        # WERROR= keeps warnings visible but not fatal under nixpkgs' newer compiler and
        # hardening flags; it takes effect once the Makefile adds `WERROR ?= -Werror`.
        makeFlags = [ "PREFIX=$(out)" "WERROR=" ];
      };

      # One client runtime: `make VARIANT=<v>` builds only tandem-<v>; `make install`
      # installs it into $out/bin; the unit tests (cmocka) run in the check phase.
      mkVariant = v: pkgs.stdenv.mkDerivation (common // {
        pname = "tandem-${v}";
        makeFlags = [ "VARIANT=${v}" ] ++ common.makeFlags;
        doCheck = true;
        checkInputs = [ pkgs.cmocka ];
        checkTarget = "unit";
        meta = {
          description = "tandem client runtime '${v}' (variants/${v})";
          mainProgram = "tandem-${v}";
          platforms = [ system ];
        };
      });

      # One tool, built by its Makefile target (with no VARIANT, the Makefile builds the
      # tools too; the target names the one wanted).
      mkTool = name: extra: pkgs.stdenv.mkDerivation (common // {
        pname = "tandem-${name}";
        buildFlags = [ "build/bin/tandem-${name}" ];
        installPhase = ''
          runHook preInstall
          install -Dm755 build/bin/tandem-${name} -t $out/bin
          runHook postInstall
        '';
        meta = {
          description = "tandem's ${name} tool";
          mainProgram = "tandem-${name}";
          platforms = [ system ];
        };
      } // extra);

      tandem-sim = mkTool "sim" { };
      tandem-sweep = mkTool "sweep" { };
      # the client-cost calibration (docs/variants.md): runs the variants found beside it
      # or in $TANDEM_BIN
      tandem-calibrate = mkTool "calibrate" { };
      # The report's figures: the whole plots/ folder goes to share/tandem/plots (where
      # tandem-report looks, beside its binary; a new figure's script needs no edit here)
      # and gnuplot is on the wrapped PATH.
      tandem-report = mkTool "report" {
        nativeBuildInputs = [ pkgs.pkg-config pkgs.makeWrapper ];
        postInstall = ''
          mkdir -p $out/share/tandem
          cp -r --no-preserve=mode plots $out/share/tandem/plots
          wrapProgram $out/bin/tandem-report --prefix PATH : ${lib.makeBinPath [ pkgs.gnuplot ]}
        '';
      };

      # The Python reference client (a control): the Makefile stamps the version into
      # clients/python-httpx/tandem-python-httpx; its `#!/usr/bin/env python3` becomes
      # (patchShebangs) a Python with httpx. It runs on tandemkit (lib/tandem/python) and
      # asks tandem-report for its plan and its summary, so that path is written into it.
      pythonClient = pkgs.python3.withPackages (ps: [ ps.httpx ]);
      python-httpx = pkgs.stdenv.mkDerivation {
        pname = "tandem-python-httpx";
        inherit version src;
        buildInputs = [ pythonClient ];
        # in the tree, before the Makefile copies it (fixup would patch only the installed
        # copy; the tests' build runs the one in build/bin)
        postPatch = ''
          patchShebangs clients
        '';
        buildFlags = [ "build/bin/tandem-python-httpx" ];
        installPhase = ''
          runHook preInstall
          install -Dm755 build/bin/tandem-python-httpx -t $out/bin
          install -Dm644 build/lib/tandem/python/tandemkit.py -t $out/lib/tandem/python
          sed -i 's|@TANDEM_REPORT@|${tandem-report}/bin/tandem-report|' $out/bin/tandem-python-httpx
          runHook postInstall
        '';
        meta = {
          description = "tandem's Python reference client (asyncio + httpx), a control";
          mainProgram = "tandem-python-httpx";
          platforms = [ system ];
        };
      };
      hasPythonClient = builtins.pathExists ./clients/python-httpx/tandem-python-httpx
        && !(builtins.elem "python-httpx" variants);

      runtimes = lib.genAttrs variants mkVariant
        // lib.optionalAttrs hasPythonClient { inherit python-httpx; };
      tools = { inherit tandem-sim tandem-sweep tandem-report tandem-calibrate; };

      # Every binary in one bin/ (what `just` and tandem-sweep expect: build/bin).
      tandem = pkgs.symlinkJoin {
        name = "tandem-${version}";
        paths = builtins.attrValues runtimes ++ builtins.attrValues tools;
      };

      python = pkgs.python3.withPackages (ps: [ ps.pytest ps.httpx ps.pyyaml ]);

      # scripts/demo.sh writes results/ beside itself; run it from a scratch copy whose
      # results/ is ./results of the caller, with the Nix-built binaries.
      demo = pkgs.writeShellApplication {
        name = "tandem-demo";
        runtimeInputs = [ tandem python pkgs.coreutils pkgs.gnused ];
        text = ''
          work=$(mktemp -d)
          trap 'rm -rf "$work"' EXIT
          mkdir -p "$work/scripts" results
          cp ${./scripts/demo.sh} "$work/scripts/demo.sh"
          ln -s "$PWD/results" "$work/results"
          TANDEM_BIN=${tandem}/bin "$BASH" "$work/scripts/demo.sh" "$@"
        '';
      };

      # tandem-sweep with every variant of this flake (TANDEM_BIN may point elsewhere).
      sweep = pkgs.writeShellApplication {
        name = "tandem-sweep";
        runtimeInputs = [ tandem ];
        text = ''
          export TANDEM_BIN="''${TANDEM_BIN:-${tandem}/bin}"
          if [ $# -eq 0 ] && [ -f experiments/tr115.yaml ]; then
            set -- experiments/tr115.yaml
          fi
          exec ${tandem}/bin/tandem-sweep "$@"
        '';
      };

      app = drv: exe: description: {
        type = "app";
        program = "${drv}/bin/${exe}";
        meta = { inherit description; };
      };

      # The shell: the toolchain (stdenv's), the libraries, gnuplot, just, pytest,
      # valgrind for `just test`, and the pinned Ollama; extraHook runs after the banner.
      shellWith = ollama: extraHook: pkgs.mkShell {
        packages = [
          pkgs.pkg-config pkgs.gnuplot pkgs.just pkgs.valgrind python ollama
        ] ++ libraries ++ [ pkgs.cmocka ];
        shellHook = ''
          echo "tandem ${version} dev shell: nixpkgs ${nixpkgs.rev or "(unlocked)"}, ollama ${ollama.version or "?"}"
        '' + extraHook;
      };

      # The GPU host's shell (`nix develop .#gpu`): `just ollama-up` (scripts/ollama/up.sh)
      # starts this CUDA Ollama in the GPU role; a TANDEM_OLLAMA_BIN set before is
      # replaced, as this shell means the flake's CUDA Ollama. Entering it builds
      # ollama-cuda first, which is why the note says how to use a host Ollama instead.
      gpuShell = shellWith pkgsCuda.ollama-cuda ''
        export TANDEM_OLLAMA_BIN=${pkgsCuda.ollama-cuda}/bin/ollama
        export TANDEM_OLLAMA_GPU=1
        echo "GPU role: TANDEM_OLLAMA_BIN=$TANDEM_OLLAMA_BIN (nixpkgs' ollama-cuda), TANDEM_OLLAMA_GPU=1; start the servers with: just ollama-up"
        echo "note: ollama-cuda is unfree (NVIDIA's CUDA licence; this flake allows only its CUDA packages), so it is not in the public binary cache (cache.nixos.org does not build unfree packages): it was compiled on this machine, which takes hours the first time."
        echo "      To use an Ollama already on the host instead, skip this shell: on the host, export TANDEM_OLLAMA_BIN=\$(command -v ollama) TANDEM_OLLAMA_GPU=1, then enter the default shell (nix develop), which leaves both as they are."
      '';

      # the figures' fonts in the build sandbox, the same on every machine
      fontsConf = pkgs.makeFontsConf { fontDirectories = [ pkgs.dejavu_fonts ]; };

      # Regenerate the Technical Report from the shipped reference data (no GPU, no
      # network): one report per data set, i.e. per directory under report/reference/
      # (the imported seed results, the simulator sweep), or one for the whole directory
      # if it holds run directories itself.
      referenceReport = pkgs.runCommand "tandem-reference-report-${version}"
        {
          nativeBuildInputs = [ tandem-report ];
          FONTCONFIG_FILE = fontsConf;
        } ''
          ref=${./report/reference}
          report() {
            echo "tandem-report $1 -> $2"
            tandem-report "$1" --out "$2"
            test -s "$2/TR115.md"
            ls "$2"/fig_*.svg > /dev/null
          }
          mkdir -p $out
          sets=0
          for d in "$ref"/*/; do
            if [ ! -d "$d" ] || [ -e "$d/provenance.json" ]; then continue; fi   # no set, or a run
            report "$d" "$out/$(basename "$d")"
            sets=$((sets + 1))
          done
          if [ "$sets" -eq 0 ]; then report "$ref" "$out"; fi
        '';
    in
    {
      packages.${system} = runtimes // tools // {
        default = tandem;
        # The pinned Ollama, for scripts that want its path: nix build .#ollama
        # (CPU; .#ollama-cuda on the GPU host, built locally: it is unfree).
        inherit (pkgs) ollama;
        inherit (pkgsCuda) ollama-cuda;
      };

      apps.${system} = {
        demo = app demo "tandem-demo" "simulated dual Ollama, every variant, two devices then one shared (scripts/demo.sh)";
        default = self.apps.${system}.demo;
        sweep = app sweep "tandem-sweep" "run an experiment (default experiments/tr115.yaml) with every variant of this flake";
        report = app tandem-report "tandem-report" "the Technical Report from run results (gnuplot figures)";
        sim = app tandem-sim "tandem-sim" "the Ollama simulator";
      };

      devShells.${system} = {
        # CPU Ollama; a TANDEM_OLLAMA_BIN set before entering is kept (up.sh uses it)
        default = shellWith pkgs.ollama ''
          if [ -n "''${TANDEM_OLLAMA_BIN:-}" ]; then echo "TANDEM_OLLAMA_BIN=$TANDEM_OLLAMA_BIN (from the environment; \`just ollama-up\` uses it)"; fi
        '';
        # On the GPU host: `nix develop .#gpu` (CUDA build of the same Ollama; unfree).
        gpu = gpuShell;
      };

      # `nix flake check`: every variant built with its unit tests, the unit and simulator
      # integration tests over every binary, the apps' scripts (shellcheck'd by
      # writeShellApplication), and the report regenerated from shipped data.
      checks.${system} = runtimes // tools // {
        apps = pkgs.symlinkJoin { name = "tandem-apps-${version}"; paths = [ demo sweep ]; };
        tests = pkgs.stdenv.mkDerivation (common // {
          pname = "tandem-tests";
          # gnuplot: the report tests render the figures too
          nativeBuildInputs = [ pkgs.pkg-config python pkgs.gnuplot ];
          FONTCONFIG_FILE = fontsConf;
          buildInputs = libraries ++ [ pkgs.cmocka ];
          doCheck = true;
          checkTarget = "test";
          # unit, then integration: not side by side (the integration tests time things)
          enableParallelChecking = false;
          # The tests marked `timing` (tests/integration/conftest.py) assert wall-clock
          # bounds (efficiency, TTFT, token gaps) that hold on an idle machine, not where
          # other builds load the CPU, as `nix flake check` and parallel builds do; they
          # stay in `make integration` (tests/nix/README.md). pytest reads PYTEST_ADDOPTS.
          PYTEST_ADDOPTS = "-m 'not timing'";
          preCheck = ''
            export HOME=$TMPDIR
          '';
          installPhase = ''
            mkdir -p $out
            echo "unit and integration tests passed" > $out/passed
          '';
        });
      } // lib.optionalAttrs (builtins.pathExists ./report/reference) {
        report = referenceReport;
      };
    };
}
