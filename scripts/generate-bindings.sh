#!/usr/bin/env bash
# Regenerates the Kotlin and Swift bindings from the built library, with the project's own
# uniffi-bindgen (uniffi-bindgen/, the library's exact uniffi version) and bindings/uniffi.toml.
#
#   bash scripts/generate-bindings.sh          rewrite the generated files
#   bash scripts/generate-bindings.sh --check  fail, showing the diff, if they are not up to date
#
# Generated files (checked in, never edited by hand; the Kotlin gets two changes by rule and the Swift
# one, below):
#   bindings/kotlin/src/main/kotlin/oss/append/oss_append.kt
#   bindings/swift/Sources/OssAppend/OssAppend.swift
#   bindings/swift/Sources/OssAppendFFI/OssAppendFFI.h
#   bindings/swift/Sources/OssAppendFFI/module.modulemap
# The library is copied to target/mobile-lib as soon as it is built, so a later build of the C
# library without the `mobile` feature never replaces the one the bindings are read from.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=write
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

export CARGO_TERM_COLOR=never
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
case "$(uname -s)" in
  Darwin) library_name=liboss_append.dylib ;;
  *) library_name=liboss_append.so ;;
esac
cargo build -q --no-default-features --features mobile --lib
mkdir -p target/mobile-lib
cp "$target_dir/debug/$library_name" target/mobile-lib/
library="$PWD/target/mobile-lib/$library_name"
cargo build -q -p uniffi-bindgen

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$target_dir/debug/uniffi-bindgen" generate --no-format --config bindings/uniffi.toml \
  --language kotlin --language swift --out-dir "$out/raw" "$library" >/dev/null

# Where each generated file lives in the repository.
mkdir -p "$out/tree/kotlin/src/main/kotlin/oss/append" "$out/tree/swift/Sources/OssAppend" \
  "$out/tree/swift/Sources/OssAppendFFI"
# One change to uniffi's Kotlin, by rule: an OssException's `message` is the library's text (its
# Display, which toString() already returns), not uniffi's dump of the fields, so that
# Log.w(tag, e.message) and crash reporters say what happened. uniffi has no setting for it. The
# rule must match every variant (15 now); when a uniffi upgrade changes the template, this fails.
python3 - "$out/raw/oss/append/oss_append.kt" "$out/tree/kotlin/src/main/kotlin/oss/append/oss_append.kt" <<'PY'
import re, sys
source = open(sys.argv[1]).read()
start = source.index("sealed class OssException: kotlin.Exception() {")
end = source.index("\nsealed class ", start + 1)
block = source[start:end]
rule = re.compile(r'(override val message\n\s+get\(\) = )"[^"\n]*"')
block, count = rule.subn(r"\1toString()", block)
variants = len(re.findall(r"^    class \w+\(", block, re.M)) + len(re.findall(r"^    class \w+ : OssException\(\)", block, re.M))
if count == 0 or count != variants or "override fun toString(): String" not in block:
    sys.exit(f"generate-bindings: the OssException message rule matched {count} of {variants} variants; uniffi's template changed")
open(sys.argv[2], "w").write(source[:start] + block + source[end:])
PY
# A second to uniffi's Kotlin, by rule: `Spool.close()` (AutoCloseable, `use {}`) shuts the spool
# down as `shutdown()` does, where uniffi's `close()` destroys the object, after which every call
# throws IllegalStateException; so later calls throw `OssException.Spool(CLOSED)` whichever of the two
# was called. The shutdown lets the core spool go at once (its journal closed: src/mobile/spool.rs);
# the small rest is freed when the object is collected. uniffi has no setting for it.
python3 - "$out/tree/kotlin/src/main/kotlin/oss/append/oss_append.kt" <<'PY'
import sys
path = sys.argv[1]
source = open(path).read()
start = source.index("open class Spool: Disposable, AutoCloseable, SpoolInterface")
end = source.index("\n}\n", start)
block = source[start:end]
old = "    @Synchronized\n    override fun close() {\n        this.destroy()\n    }\n"
if block.count(old) != 1:
    sys.exit("generate-bindings: Spool.close() is not uniffi's close() { this.destroy() }; uniffi's template changed")
new = '''    /**
     * Shuts the spool down, as [shutdown] does (not uniffi's destroy: scripts/generate-bindings.sh),
     * so that later calls throw [OssException.Spool] with [SpoolErrorKind.CLOSED] whichever of the
     * two was called; `status()` and `lastMark()` still answer. Throws only when the journal cannot
     * be fsynced; a second call does nothing. The native object is freed when this one is collected,
     * or at once by [destroy] (after which every call throws `IllegalStateException`).
     */
    @Synchronized
    @Throws(OssException::class)
    override fun close() {
        if (!this.uniffiIsDestroyed) this.shutdown()
    }
'''
open(path, "w").write(source[:start] + block.replace(old, new) + source[end:])
PY
# And one to uniffi's Swift, by rule: OssError's cases are lowerCamelCase, as Swift names cases
# (`catch OssError.service(let failure)`, `.cancelled`), where uniffi capitalises an error's cases
# whatever bindings/uniffi.toml says. Each case is renamed where the enum declares it and where its
# converter reads and writes it (three places each, or the script fails).
python3 - "$out/raw/OssAppend.swift" "$out/tree/swift/Sources/OssAppend/OssAppend.swift" <<'PY'
import re, sys
source = open(sys.argv[1]).read()
start = source.index("enum OssError: Swift.Error")
converter = source.index("public struct FfiConverterTypeOssError: FfiConverterRustBuffer {", start)
end = source.index("\n}\n", converter) + 3
block = source[start:end]
cases = re.findall(r"^    case ([A-Z]\w*)\b", source[start:converter], re.M)
if len(cases) < 10:
    sys.exit(f"generate-bindings: found {len(cases)} OssError cases; uniffi's template changed")
for case in cases:
    lower = case[0].lower() + case[1:]
    block, count = re.subn(r"(?<=case )" + case + r"\b|(?<=\.)" + case + r"\b", lower, block)
    if count != 3:
        sys.exit(f"generate-bindings: OssError.{case} renamed in {count} places, not 3; uniffi's template changed")
open(sys.argv[2], "w").write(source[:start] + block + source[end:])
PY
cp "$out/raw/OssAppendFFI.h" "$out/tree/swift/Sources/OssAppendFFI/OssAppendFFI.h"
cp "$out/raw/OssAppendFFI.modulemap" "$out/tree/swift/Sources/OssAppendFFI/module.modulemap"

generated=(
  kotlin/src/main/kotlin/oss/append/oss_append.kt
  swift/Sources/OssAppend/OssAppend.swift
  swift/Sources/OssAppendFFI/OssAppendFFI.h
  swift/Sources/OssAppendFFI/module.modulemap
)

if [ "$mode" = check ]; then
  drift=0
  for file in "${generated[@]}"; do
    if ! diff -u "bindings/$file" "$out/tree/$file" >"$out/diff" 2>&1; then
      echo "bindings/$file is not what the library generates:" >&2
      head -n 40 "$out/diff" >&2
      drift=1
    fi
  done
  if [ "$drift" -ne 0 ]; then
    echo "generated bindings drifted; run: bash scripts/generate-bindings.sh" >&2
    exit 1
  fi
  echo "generated bindings are up to date (${#generated[@]} files)"
else
  for file in "${generated[@]}"; do
    mkdir -p "$(dirname "bindings/$file")"
    cp "$out/tree/$file" "bindings/$file"
  done
  echo "regenerated ${#generated[@]} files under bindings/"
fi
