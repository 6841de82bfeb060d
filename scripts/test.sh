#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs the official OSS clients used as
# oracles (Python SDKs, ali-oss), then the Rust unit and integration tests (core and emulator, against
# the in-process emulator), then the interop suites (official SDKs against the emulator binary,
# and our signer against the SDKs' signers), with a short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== setting up the official OSS clients"
bash scripts/setup-interop.sh

echo "== Rust tests (workspace)"
cargo test --workspace --all-targets
cargo test --workspace --doc

echo "== the wire suites again, over HTTPS (the emulator serves TLS; clients trust its CA)"
OSS_APPEND_TEST_TLS=1 cargo test --test append --test settle --test range --test retries --test spool

echo "== exactly-once soak: 1,000 injected faults, 0 bytes lost or duplicated (the long run: --faults 10000)"
cargo run -q --example soak -- --faults 1000

echo "== fuzzing: every target for 10 s (the long run: bash scripts/fuzz.sh 450)"
bash scripts/fuzz.sh 10

echo "== CRC-64 on aarch64 (qemu user mode): the PMULL path Android and iOS take"
bash scripts/test-aarch64.sh

echo "== C and C++ tests (ASan+UBSan, valgrind)"
bash scripts/test-c.sh

echo "== Kotlin (JVM) and Swift (Linux) bindings"
cargo test --features mobile --lib mobile
bash scripts/test-kotlin.sh
if [ "$(id -u)" -eq 0 ]; then
  bash scripts/test-swift.sh
else
  echo "skipping the Swift tests: they need root for their Debian chroot (run: sudo bash scripts/test-swift.sh)"
fi

echo "== interop: official SDKs and signers"
status=0
target/venv/bin/python -m pytest tests/interop -q -p no:cacheprovider || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no interop tests: the suite is missing" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  exit "$status"
fi
echo "== interop over HTTPS: the official Python SDKs against the emulator serving TLS"
OSS_INTEROP_TLS=1 target/venv/bin/python -m pytest tests/interop/test_official_sdks.py -q -p no:cacheprovider
