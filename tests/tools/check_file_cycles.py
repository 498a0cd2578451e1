#!/usr/bin/env python3
"""check_file_cycles.py — fails when files of one src/ module depend on each other in a circle.

Inside a module, a file may only use files below it: a helper that its callers' callees call
back turns the module into one knot that must be read (and changed) all at once. Two graphs
are drawn, both per module:

  includes  which .c/.h file includes which project header (read from src/);
  calls     which object uses a symbol defined in which other object of the same module
            (read with `nm -P -g` from the built objects: undefined vs defined globals).

A strongly connected set of two or more files in either graph is a cycle; each is printed as
one concrete circle with the symbols (or #include) on every step. Cycles known and still to be
taken apart are listed in ALLOWED below; any other cycle fails, and so does an ALLOWED entry
that no longer matches exactly (remove or narrow it when the work is done).

usage: check_file_cycles.py [--src DIR] [--obj DIR] [--dot FILE]
  --src  the source tree (default: src beside this script's repository root)
  --obj  the object tree of a build, $(BUILD)/obj; without it only includes are checked
  --dot  also write both graphs in Graphviz form to FILE
Exit status: 0 no cycle beyond ALLOWED, 1 a cycle or a stale ALLOWED entry, 2 bad usage.
"""
import argparse
import os
import re
import subprocess
import sys

# Cycles known to remain, each the exact set of files of one strongly connected component.
# Shrinking or removing one of them makes its entry stale: narrow or delete it then.
ALLOWED = {
    "calls": [],
    "includes": [],
}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
DEFINED_TYPES = set("TDBRCGSVWi")   # nm -P types of a defined global (or weak) symbol
UNDEFINED_TYPES = set("Uw")


def module_of(rel):
    return rel.split("/", 1)[0] if "/" in rel else None


def include_graph(src):
    """{module: {file: {included file: ["#include"]}}}, files relative to src."""
    graphs = {}
    for root, _dirs, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src).replace(os.sep, "/")
            mod = module_of(rel)
            if mod is None:
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = INCLUDE_RE.match(line)
                    if not m:
                        continue
                    target = m.group(1)
                    if "/" not in target:  # "x.h" beside the file
                        target = os.path.dirname(rel) + "/" + target
                    if module_of(target) != mod or target == rel:
                        continue
                    if not os.path.exists(os.path.join(src, target)):
                        continue
                    g = graphs.setdefault(mod, {})
                    g.setdefault(rel, {}).setdefault(target, []).append("#include")
                    g.setdefault(target, {})
    return graphs


def nm_symbols(obj):
    out = subprocess.run(["nm", "-P", "-g", obj], check=True, capture_output=True, text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind in UNDEFINED_TYPES:
            undefined.add(name)
        elif kind in DEFINED_TYPES:
            defined.add(name)
    return defined, undefined


def call_graph(src, obj_root):
    """{module: {file.c: {file.c: [symbols]}}} from the objects of modules found in src."""
    graphs = {}
    modules = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)))
    for mod in modules:
        mdir = os.path.join(obj_root, mod)
        if not os.path.isdir(mdir):
            continue
        syms = {}
        for name in sorted(os.listdir(mdir)):
            if name.endswith(".o") and os.path.exists(os.path.join(src, mod, name[:-2] + ".c")):
                syms[f"{mod}/{name[:-2]}.c"] = nm_symbols(os.path.join(mdir, name))
        owner = {}
        for f, (defined, _u) in syms.items():
            for s in defined:
                owner.setdefault(s, f)
        g = {f: {} for f in syms}
        for f, (_d, undefined) in syms.items():
            for s in sorted(undefined):
                o = owner.get(s)
                if o is not None and o != f:
                    g[f].setdefault(o, []).append(s)
        graphs[mod] = g
    return graphs


def sccs(g):
    """Tarjan's strongly connected components of size > 1, each a sorted list."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        # iterative, so deep graphs cannot reach Python's recursion limit
        work = [(v, iter(sorted(g.get(v, {}))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(g.get(w, {})))))
                    advanced = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return sorted(out)


def one_cycle(g, comp):
    """A concrete circle through the component's first file (breadth-first, shortest)."""
    members = set(comp)
    start = comp[0]
    prev = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(g[v]):
            if w not in members:
                continue
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                path.reverse()
                return path + [start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return comp


def describe(g, cycle):
    steps = [cycle[0]]
    for a, b in zip(cycle, cycle[1:]):
        why = g[a][b]
        shown = ", ".join(why[:3]) + (f", +{len(why) - 3}" if len(why) > 3 else "")
        steps.append(f"  -> {b}   ({shown})")
    return "\n".join("    " + s for s in steps)


def write_dot(path, graphs):
    with open(path, "w", encoding="utf-8") as f:
        f.write("digraph src {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n")
        for kind, per_mod in graphs.items():
            for mod, g in sorted(per_mod.items()):
                f.write(f'  subgraph "cluster_{kind}_{mod}" {{ label="{mod} ({kind})";\n')
                for v in sorted(g):
                    f.write(f'    "{kind}:{v}" [label="{v}"];\n')
                for v in sorted(g):
                    for w in sorted(g[v]):
                        f.write(f'    "{kind}:{v}" -> "{kind}:{w}";\n')
                f.write("  }\n")
        f.write("}\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default=os.path.join(here, "..", "..", "src"))
    ap.add_argument("--obj")
    ap.add_argument("--dot")
    a = ap.parse_args()
    if not os.path.isdir(a.src):
        print(f"check_file_cycles: no source tree at {a.src}; pass --src DIR", file=sys.stderr)
        return 2
    graphs = {"includes": include_graph(a.src)}
    if a.obj:
        if not os.path.isdir(a.obj):
            print(f"check_file_cycles: no object tree at {a.obj}; build first or pass --obj $(BUILD)/obj",
                  file=sys.stderr)
            return 2
        graphs["calls"] = call_graph(a.src, a.obj)
    if a.dot:
        write_dot(a.dot, graphs)

    failed = False
    for kind, per_mod in graphs.items():
        allowed = [sorted(s) for s in ALLOWED.get(kind, [])]
        seen = []
        for mod, g in sorted(per_mod.items()):
            for comp in sccs(g):
                seen.append(comp)
                if comp in allowed:
                    print(f"known {kind} cycle in {mod}/ (allowed, listed in ALLOWED): {' '.join(comp)}")
                    continue
                failed = True
                print(f"{kind} cycle in {mod}/ between {len(comp)} files: {' '.join(comp)}")
                print(describe(g, one_cycle(g, comp)))
        for comp in allowed:
            if comp not in seen and module_of(comp[0]) in per_mod:
                failed = True
                print(f"stale allow-list entry ({kind}): {' '.join(comp)} is no longer exactly one cycle; "
                      f"remove or narrow it in ALLOWED of {os.path.abspath(__file__)}")
    n_files = sum(len(g) for per_mod in graphs.values() for g in per_mod.values())
    print(f"check_file_cycles: {'FAILED' if failed else 'ok'} ({', '.join(graphs)}; {n_files} file nodes)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
