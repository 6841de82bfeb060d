#!/usr/bin/env bash
# Runs the Kotlin binding's JUnit suite (bindings/kotlin) on the JVM with JNA, against the emulator.
# Installs what it needs on a fresh machine: a JDK and Maven from Debian's packages when missing;
# Maven then fetches the Kotlin compiler, JNA, kotlinx-coroutines and JUnit into ~/.m2 once.
# Surefire prints the summary: "Tests run: N, Failures: 0, Errors: 0, Skipped: 0".
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

if ! command -v mvn >/dev/null || ! command -v javac >/dev/null; then
  echo "== installing a JDK and Maven"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends default-jdk-headless maven >/dev/null
fi

echo "== building the library (feature mobile) and the emulator"
cargo build -q --no-default-features --features mobile --lib
# Copied at once: a later build of the C library without the feature would replace it in target/debug.
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
mkdir -p target/mobile-lib
cp "$target_dir/debug/liboss_append.so" target/mobile-lib/
cargo build -q -p oss-emulator --bin oss-emulator

echo "== Kotlin tests (Maven, JUnit, JNA)"
export OSS_EMULATOR="$target_dir/debug/oss-emulator"
mvn -B -ntp -f bindings/kotlin/pom.xml test -Doss.append.library.dir="$PWD/target/mobile-lib"
