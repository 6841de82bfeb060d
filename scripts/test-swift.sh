#!/usr/bin/env bash
# Runs the Swift binding's XCTest suite (bindings/swift) against the emulator, on Linux.
#
# Swift comes from Debian trixie's `swiftlang` package, installed in a minimal trixie chroot kept
# outside the repository, so only the first run on a machine pays for it (about 2 minutes, 3 GB):
#   /var/cache/oss-append/swift-chroot when run as root, else ~/.cache/oss-append/swift-chroot
#   (OSS_APPEND_SWIFT_CHROOT overrides).
# The Rust library and the emulator are built on the host; the repository is bind-mounted into the
# chroot inside a private mount namespace, and `swift test` runs there against the host-built `.so`.
#
#   bash scripts/test-swift.sh               set up the chroot if needed, build, test
#   bash scripts/test-swift.sh --setup-only  only make sure the chroot is ready
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "test-swift.sh needs root (debootstrap, chroot, mount namespaces)" >&2
  exit 1
fi

default_chroot=/var/cache/oss-append/swift-chroot
[ -w /var/cache ] || default_chroot="$HOME/.cache/oss-append/swift-chroot"
chroot_dir=${OSS_APPEND_SWIFT_CHROOT:-$default_chroot}
ready_mark="$chroot_dir/.oss-append-ready"

setup_chroot() {
  if [ -e "$ready_mark" ]; then
    return
  fi
  echo "== setting up the Swift chroot in $chroot_dir (first run on this machine)"
  mkdir -p "$(dirname "$chroot_dir")"
  if ! command -v debootstrap >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  local work="$chroot_dir.partial"
  rm -rf "$work"
  debootstrap --variant=minbase trixie "$work" >"$work.log" 2>&1 || {
    tail -n 30 "$work.log" >&2
    exit 1
  }
  cp /etc/resolv.conf "$work/etc/resolv.conf" 2>/dev/null || true
  unshare --mount --fork bash -c "
    set -e
    mount -t proc proc '$work/proc'
    mount --rbind /dev '$work/dev'
    chroot '$work' /usr/bin/env DEBIAN_FRONTEND=noninteractive bash -c '
      apt-get update -qq &&
      apt-get install -y -qq --no-install-recommends swiftlang libc6-dev >/dev/null'
  "
  rm -rf "$work/var/cache/apt/archives/"*.deb "$work/var/lib/apt/lists/"* "$work.log"
  touch "$work/.oss-append-ready"
  rm -rf "$chroot_dir"
  mv "$work" "$chroot_dir"
  echo "== Swift chroot ready"
}

# One setup at a time, even when two runs start together.
mkdir -p "$(dirname "$chroot_dir")"
exec 9>"$chroot_dir.lock"
flock 9
setup_chroot
flock -u 9

if [ "${1:-}" = "--setup-only" ]; then
  exit 0
fi

echo "== building the library (feature mobile) and the emulator"
export CARGO_TERM_COLOR=never
cargo build -q --no-default-features --features mobile --lib
# Copied at once: a later build of the C library without the feature would replace it in target/debug.
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
mkdir -p target/mobile-lib
cp "$target_dir/debug/liboss_append.so" target/mobile-lib/
cargo build -q -p oss-emulator --bin oss-emulator
cp "$target_dir/debug/oss-emulator" target/mobile-lib/

echo "== swift test (XCTest) in the chroot"
mnt="$chroot_dir/work/oss-append"
mkdir -p "$mnt"
# The package's build folder lives in the chroot so the second run reuses it. The mounts are
# private to this run, and its own PID namespace ends the emulator even if the tests crash.
unshare --mount --pid --fork bash -c "
  set -e
  mount --bind '$repo' '$mnt'
  mount -t proc proc '$chroot_dir/proc'
  mount --rbind /dev '$chroot_dir/dev'
  mount -t tmpfs tmpfs '$chroot_dir/tmp'
  chroot '$chroot_dir' /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root \
    OSS_EMULATOR=/work/oss-append/target/mobile-lib/oss-emulator \
    LD_LIBRARY_PATH=/work/oss-append/target/mobile-lib \
    bash -c 'cd /work/oss-append/bindings/swift &&
      swift test --disable-swift-testing --scratch-path /var/cache/oss-append-swift-build \
        -Xlinker -L/work/oss-append/target/mobile-lib 2>&1 &&
      echo \"== the binding in Swift 6 language mode (strict concurrency), warnings as errors\" &&
      swiftc -typecheck -swift-version 6 -warnings-as-errors -module-name OssAppend \
        -I Sources/OssAppendFFI Sources/OssAppend/*.swift 2>&1 &&
      echo \"Swift 6 mode: no errors, no warnings\"'
"
