#!/usr/bin/env bash
# Compile-checks the library as the Kotlin and Swift packages build it (the `mobile` feature, without
# the default C ABI) for Android (aarch64-linux-android) and iOS
# (aarch64-apple-ios). Linking needs the Android NDK or Xcode, which a Linux CI machine lacks, so
# only `cargo check` runs here; .github/workflows/android.yml and apple.yml build the real thing.
# A target whose standard library cannot be installed (`rustup target add` fails) is skipped, with
# the reason printed.
#
# ring's build script compiles C and assembly for the target, which takes the target's C toolchain.
# A check links nothing, so that script is replaced through Cargo's `links` override by one that
# links nothing; every Rust crate, ring's included, is still checked for the target.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

if ! command -v rustup >/dev/null; then
  echo "skipped the mobile targets: rustup is not installed, so their standard libraries cannot be added"
  exit 0
fi

ring_links=$(cargo metadata --format-version 1 --features mobile 2>/dev/null | python3 -c '
import json, sys
for package in json.load(sys.stdin)["packages"]:
    if package["name"] == "ring" and package.get("links"):
        print(package["links"])
        break
')

checked=0
skipped=0
# OSS_APPEND_MOBILE_TARGETS overrides the list, e.g. to add armv7-linux-androideabi.
for target in ${OSS_APPEND_MOBILE_TARGETS:-aarch64-linux-android aarch64-apple-ios}; do
  if ! rustup target list --installed | grep -qx "$target"; then
    if ! output=$(rustup target add "$target" 2>&1); then
      reason=$(printf '%s\n' "$output" | grep -m 1 -i 'error' || printf '%s\n' "$output" | head -n 1)
      echo "skipped $target: 'rustup target add $target' failed: $reason"
      skipped=$((skipped + 1))
      continue
    fi
  fi
  override=()
  if [ -n "$ring_links" ]; then
    override=(--config "target.$target.$ring_links.rustc-link-lib=[]")
  fi
  # What the Kotlin and Swift packages ship: the mobile feature without the C ABI.
  echo "== cargo check --no-default-features --features mobile --target $target"
  cargo check -q --no-default-features --features mobile --lib --target "$target" "${override[@]}"
  checked=$((checked + 1))
done
echo "mobile targets: $checked checked, $skipped skipped"
