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
# target/mobile: a build of the C library without the feature never replaces this one.
CARGO_TARGET_DIR="$PWD/target/mobile" cargo build -q --features mobile --lib
cargo build -q -p oss-emulator --bin oss-emulator

echo "== Kotlin tests (Maven, JUnit, JNA)"
export OSS_EMULATOR="$PWD/target/debug/oss-emulator"
mvn -B -ntp -f bindings/kotlin/pom.xml test -Doss.append.library.dir="$PWD/target/mobile/debug"
