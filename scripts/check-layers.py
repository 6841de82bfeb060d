#!/usr/bin/env python3
"""Checks that src/ is layered as src/lib.rs says: each top-level module uses only modules below it.

The layers, bottom to top, are the rows of the table in src/lib.rs's module doc; within a row, a
module may use those named before it. Every module lib.rs declares must be in the table. A module's uses are the `crate::NAME` paths in its files (comments left out),
with names re-exported at the crate root (`crate::Client`) traced to the module they come from.
Prints the import graph; exits 1 on any use of a module at or above the user's own place, which
includes every circle between top-level modules.
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent / "src"
lib = (root / "lib.rs").read_text()


def code_only(text):
    """The text without comments (line and block) and string literals."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return re.sub(r"//[^\n]*", "", text)


# The layers: the rows of the table in lib.rs's module doc, `//! | layer | `a`, `b` | what |`.
rows = [re.findall(r"`([a-z0-9_]+)`", m) for m in re.findall(r"^//! \| [^|]+ \| ([^|]+) \|", lib, flags=re.M)]
order = [name for row in rows for name in row]
place = {name: i for i, name in enumerate(order)}
declared = re.findall(r"^\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+([a-z0-9_]+)\s*;", code_only(lib), flags=re.M)
unplaced = sorted(set(declared) - set(order))
if unplaced or not order:
    print(f"src/lib.rs declares modules its layer table does not place: {unplaced}", file=sys.stderr)
    sys.exit(1)

# Names re-exported at the root: `pub use module::path::{A, B as C};` -> the module they come from.
exported = {}
for module, names in re.findall(r"pub use ([a-z0-9_]+)(?:::[a-z0-9_]+)*::(\{[^}]*\}|[A-Za-z0-9_]+);", code_only(lib)):
    for name in re.findall(r"([A-Za-z0-9_]+)(?:\s+as\s+([A-Za-z0-9_]+))?", names.strip("{}")):
        exported[name[1] or name[0]] = module
top_level_functions = set(re.findall(r"^pub fn ([a-z0-9_]+)", code_only(lib), flags=re.M))


def files_of(module):
    single = root / f"{module}.rs"
    return [single] if single.exists() else sorted((root / module).rglob("*.rs"))


def used_by(module):
    """The top-level modules `module` uses, each with one example line."""
    uses = {}
    for path in files_of(module):
        text = code_only(path.read_text())
        # `crate::a::b`, `crate::Name`, and `use crate::{a::X, Name}` groups.
        paths = re.findall(r"crate::([A-Za-z0-9_]+)", text)
        for group in re.findall(r"crate::\{([^}]*)\}", text):
            paths += re.findall(r"(?:^|,)\s*([A-Za-z0-9_]+)", group)
        for first in paths:
            target = first if first in place else exported.get(first)
            if first in top_level_functions:
                continue
            if target and target != module:
                uses.setdefault(target, path.relative_to(root.parent))
    return uses


failures = []
for module in order:
    uses = used_by(module)
    below = sorted(uses, key=place.get)
    print(f"  {module:12} -> {' '.join(below) or '(nothing)'}")
    for target in below:
        if place[target] > place[module]:
            failures.append(f"{module} uses {target}, a layer above it ({uses[target]})")

if failures:
    print("layering broken (src/lib.rs declares the layers bottom to top):", file=sys.stderr)
    for failure in failures:
        print(f"  {failure}", file=sys.stderr)
    sys.exit(1)
print(f"layers: {len(order)} top-level modules, each uses only those below it (no circles)")
