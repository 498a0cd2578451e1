#!/usr/bin/env python3
"""Write tandem's tiny test model: a GGUF with the llama architecture and random weights.

    scripts/ollama/make-tiny-model.py [--out PATH] [--seed N] [--ctx N] [--size tiny|1b|3b|8b]

--size 1b (3b, 8b) writes the same design at a size whose decoding keeps a GPU busy: about
1.1 (2.9, 7.8) billion parameters in F16, 2.1 (5.5, 15) GiB, for the GPU check (the text it
produces is meaningless; its cost per token is that of a real model of the size).

Default output: $TANDEM_CACHE/models/tiny.gguf (TANDEM_CACHE defaults to <repo>/.cache).
The same seed gives the same bytes every time (and so the same sha256 digest in Ollama);
an existing identical file is left untouched (mtime kept). Prints the output path on stdout.

The script bootstraps itself: when it is not running inside $TANDEM_CACHE/venv it creates
that venv with `python3 -m venv`, installs the pinned packages below from PyPI with pip, and
re-executes itself with the venv's python. Nothing else is downloaded.

The model (~0.4 MB; matrices F16, norms F32; Ollama reports quantization_level "F16"):
  * llama architecture: embedding 64, 2 layers, 4 heads (head dim 16, no GQA), FFN 256,
    context 4096 (Ollama's default num_ctx), rms eps 1e-5, rope base 10000;
  * a SentencePiece ("llama") vocabulary: <unk>, <s>, </s>, the 256 byte tokens
    <0x00>..<0xFF>, then printable pieces (U+2581 "▁" = space): "▁", single characters,
    and word pieces with every prefix present so SPM's pairwise merges can reach them;
  * a built-in "bias": dimension 0 of every token embedding is a constant and no layer
    writes to it, so after the final RMSNorm it is a positive constant; output.weight rows of
    control tokens (incl. </s>) and byte tokens are -BIAS in that column and 0 elsewhere, so
    their logits are about -40 while printable pieces score about +-8: the model only emits
    printable text and never EOS, so num_predict alone sets the length.
"""
import hashlib
import os
import subprocess
import sys
from pathlib import Path

# Exact pins: installed with --no-deps so nothing floats. gguf imports yaml and tqdm.
PINS = ["gguf==0.19.0", "numpy==2.2.6", "PyYAML==6.0.3", "tqdm==4.67.1"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CACHE = Path(os.environ.get("TANDEM_CACHE") or (ROOT / ".cache")).resolve()
VENV = CACHE / "venv"


def log(msg: str) -> None:
    print(f"[tiny-model] {msg}", file=sys.stderr, flush=True)


def ensure_venv() -> None:
    """Re-exec inside $TANDEM_CACHE/venv, creating and filling it when needed."""
    vpy = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    stamp = VENV / ".tandem-pins"
    want = "\n".join(PINS) + "\n"
    if not (vpy.exists() and stamp.exists() and stamp.read_text() == want):
        log(f"creating venv {VENV} with {' '.join(PINS)}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run([str(vpy), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--no-deps", *PINS], check=True)
        stamp.write_text(want)
    os.execv(str(vpy), [str(vpy), str(Path(__file__).resolve()), *sys.argv[1:]])


# ---- the vocabulary -----------------------------------------------------------------------
SP = "\u2581"  # SentencePiece's space marker

WORDS = ["the", "a", "and", "to", "of", "in", "is", "it", "that", "hello", "world",
         "agent", "token", "model", "bench", "fast", "slow", "tandem", "ollama", "yes", "no",
         "we", "you", "on", "for", "with", "as", "at", "be", "this", "run", "test"]
SUBWORDS = ["er", "in", "on", "an", "re", "at", "en", "ed", "ing", "es", "or", "th", "he", "ll"]
CHARS = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?;:'-()\"")


def build_vocab():
    """Returns (tokens, scores, types). Ids: 0 <unk>, 1 <s>, 2 </s>, 3..258 bytes, then text."""
    import gguf
    T = gguf.TokenType
    tokens = ["<unk>", "<s>", "</s>"]
    scores = [0.0, 0.0, 0.0]
    types = [T.UNKNOWN, T.CONTROL, T.CONTROL]
    for b in range(256):
        tokens.append(f"<0x{b:02X}>")
        scores.append(0.0)
        types.append(T.BYTE)
    seen = set(tokens)
    pieces = [SP] + CHARS + SUBWORDS
    for w in WORDS:  # every prefix of "▁word", so SPM's bigram merges can build it
        full = SP + w
        pieces += [full[:i] for i in range(2, len(full) + 1)]
    # score: longer pieces first (SPM merges the highest-scoring bigram first)
    for p in pieces:
        if p in seen:
            continue
        seen.add(p)
        tokens.append(p)
        scores.append(-1000.0 + 10.0 * len(p) - len(tokens) * 1e-3)
        types.append(T.NORMAL)
    return tokens, scores, [int(t) for t in types]


# name: (embedding, layers, heads, FFN). The larger ones follow the shapes of real llama
# models of their size (head dim 128, FFN about 2.7-3.5x the embedding).
SIZES = {"tiny": (64, 2, 4, 256), "1b": (2048, 16, 16, 8192), "3b": (3072, 26, 24, 8192),
         "8b": (4096, 32, 32, 14336)}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            h.update(block)
    return h.hexdigest()


def build(out: Path, seed: int, ctx: int, size: str = "tiny") -> None:
    import numpy as np
    import gguf

    n_embd, n_layer, n_head, n_ff = SIZES[size]
    head_dim = n_embd // n_head
    # The banned tokens' logit is -ban times the normalised bias dimension; with a wide
    # residual stream that dimension is a smaller share of the norm, so the larger models
    # ban harder. Output weights scale with 1/sqrt(n_embd) so printable pieces stay at
    # about +-8 at every size (std 1.0 at the tiny size: its bytes are unchanged).
    bias_dim, bias_const, ban = 0, 2.0, (20.0 if size == "tiny" else 400.0)
    out_std = 8.0 / np.sqrt(n_embd)

    tokens, scores, types = build_vocab()
    n_vocab = len(tokens)
    T = gguf.TokenType
    banned = [i for i, t in enumerate(types) if t in (T.CONTROL, T.BYTE, T.UNKNOWN)]

    rng = np.random.default_rng(seed)

    def normal(shape, std):
        if size != "tiny":  # float32 draws: half the time and memory at gigabyte sizes
            return rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
        return (rng.standard_normal(shape) * std).astype(np.float32)

    tensors = {}
    embd = normal((n_vocab, n_embd), 1.0)
    embd[:, bias_dim] = bias_const
    tensors["token_embd.weight"] = embd
    for i in range(n_layer):
        p = f"blk.{i}."
        tensors[p + "attn_norm.weight"] = np.ones(n_embd, np.float32)
        tensors[p + "attn_q.weight"] = normal((n_embd, n_embd), 0.5 / np.sqrt(n_embd))
        tensors[p + "attn_k.weight"] = normal((n_embd, n_embd), 0.5 / np.sqrt(n_embd))
        tensors[p + "attn_v.weight"] = normal((n_embd, n_embd), 1.0 / np.sqrt(n_embd))
        wo = normal((n_embd, n_embd), 0.5 / np.sqrt(n_embd))
        wo[bias_dim, :] = 0.0  # numpy row = output dim: nothing writes the bias dimension
        tensors[p + "attn_output.weight"] = wo
        tensors[p + "ffn_norm.weight"] = np.ones(n_embd, np.float32)
        tensors[p + "ffn_gate.weight"] = normal((n_ff, n_embd), 1.0 / np.sqrt(n_embd))
        tensors[p + "ffn_up.weight"] = normal((n_ff, n_embd), 1.0 / np.sqrt(n_embd))
        wd = normal((n_embd, n_ff), 0.5 / np.sqrt(n_ff))
        wd[bias_dim, :] = 0.0
        tensors[p + "ffn_down.weight"] = wd
    tensors["output_norm.weight"] = np.ones(n_embd, np.float32)
    outw = normal((n_vocab, n_embd), out_std)
    outw[:, bias_dim] = 0.0
    outw[banned, :] = 0.0
    outw[banned, bias_dim] = -ban
    tensors["output.weight"] = outw

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    w = gguf.GGUFWriter(str(tmp), "llama")
    w.add_name("tandem-tiny" if size == "tiny" else "tandem-random-" + size)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)  # Ollama shows 0 (all F32) as "unknown"
    w.add_context_length(ctx)
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(n_vocab)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    for name, arr in tensors.items():  # matrices F16, norm vectors F32 (as llama.cpp converts)
        w.add_tensor(name, arr.astype(np.float16) if arr.ndim == 2 else arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    digest = sha256_file(tmp)
    n_params = sum(a.size for a in tensors.values())
    if out.exists() and out.stat().st_size == tmp.stat().st_size and sha256_file(out) == digest:
        tmp.unlink()
        log(f"unchanged: {out} (sha256:{digest})")
        return
    nbytes = tmp.stat().st_size
    os.replace(tmp, out)
    log(f"wrote {out}: {nbytes} bytes, {n_params} params, vocab {n_vocab}, "
        f"seed {seed}, sha256:{digest}")


def main() -> int:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=CACHE / "models" / "tiny.gguf")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("TANDEM_TINY_SEED", "1234")))
    ap.add_argument("--ctx", type=int, default=4096, help="llama.context_length (default 4096)")
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny",
                    help="tiny (the test model, default), or 1b/3b/8b for a GPU")
    args = ap.parse_args()
    out = args.out.resolve()
    if args.size != "tiny" and out == (CACHE / "models" / "tiny.gguf").resolve():
        out = (CACHE / "models" / f"random-{args.size}.gguf").resolve()
    if args.size != "tiny" and out.exists() and os.environ.get("TANDEM_MODEL_REBUILD") != "1":
        # Gigabytes: once written it is not rewritten to be compared (TANDEM_MODEL_REBUILD=1).
        log(f"exists: {out} (TANDEM_MODEL_REBUILD=1 writes it again)")
        print(out)
        return 0
    build(out, args.seed, args.ctx, args.size)  # leaves an identical file untouched
    print(out)
    return 0


if __name__ == "__main__":
    ensure_venv()
    sys.exit(main())
