#!/usr/bin/env bash
# Runs the CRC-64 tests built for aarch64 under qemu's user-mode emulation, so that the PMULL path
# every Android and iOS device takes (src/crc64/arm.rs) is tested against the bitwise definition,
# not only compiled. Installs qemu-user and the aarch64 cross C compiler (ring builds C for the
# target) when they are missing, which takes root.
set -euo pipefail
cd "$(dirname "$0")/.."

target=aarch64-unknown-linux-gnu
if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIPPED the aarch64 CRC-64 tests: qemu-aarch64 or aarch64-linux-gnu-gcc is missing and installing them needs root"
    echo "  (run: sudo apt-get install qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross)"
    exit 0
  fi
  echo "== installing qemu-user and the aarch64 cross compiler"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null
fi
rustup target list --installed | grep -qx "$target" || rustup target add "$target"

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
output=$(cargo test -q --target "$target" --target-dir target/aarch64 --lib crc64 -- --nocapture 2>&1) || {
  printf '%s\n' "$output"
  exit 1
}
printf '%s\n' "$output" | tail -n 3
# qemu's default processor has PMULL: a skip here means the path went untested.
if printf '%s\n' "$output" | grep -q SKIPPED; then
  echo "the PMULL test skipped under qemu-aarch64: the path was not tested" >&2
  exit 1
fi
