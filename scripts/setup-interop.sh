#!/usr/bin/env bash
# Installs the official OSS clients used to prove the emulator and the signer: the Python SDKs
# (alibabacloud-oss-v2, oss2) with pytest and crcmod into target/venv, and ali-oss into target/node.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import alibabacloud_oss_v2, oss2, pytest, crcmod' 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check alibabacloud-oss-v2 oss2 pytest crcmod
fi
if [ ! -d target/node/node_modules/ali-oss ]; then
  mkdir -p target/node
  npm install --silent --no-audit --no-fund --prefix target/node ali-oss >/dev/null
fi
echo "interop clients ready: $venv/bin/python, target/node/node_modules/ali-oss"
