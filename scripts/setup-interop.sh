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
# Pinned: the saved SDK signatures (tests/signing/sdk-signatures.json) are these versions' output.
python_packages=(alibabacloud-oss-v2==1.4.1 oss2==2.19.1 pytest==9.2.0 crcmod==1.7)
ali_oss=ali-oss@6.23.0
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "${python_packages[@]}" >/dev/null 2>&1 \
  || ! "$venv/bin/python" -c 'import alibabacloud_oss_v2, oss2, pytest, crcmod'; then
  echo "cannot install ${python_packages[*]}" >&2
  exit 1
fi
if [ "$(node -p 'require("./target/node/node_modules/ali-oss/package.json").version' 2>/dev/null)" != "${ali_oss#ali-oss@}" ]; then
  mkdir -p target/node
  npm install --silent --no-audit --no-fund --prefix target/node "$ali_oss" >/dev/null
fi
echo "interop clients ready: $venv/bin/python, target/node/node_modules/ali-oss"
