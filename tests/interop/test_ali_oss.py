"""The emulator against the official Node.js client, ali-oss: runs tests/interop/ali_oss_test.js once
per signature version and credential kind, and asserts its exit code and the checks it printed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "tests" / "interop" / "ali_oss_test.js"
ALI_OSS = REPO_ROOT / "target" / "node" / "node_modules" / "ali-oss"

CHECKS = [
    "crc64 known vector",
    "append at position 0 creates the object",
    "second append reports the CRC of the whole object",
    "wrong position is 409 PositionNotEqualToLength",
    "head reports Appendable, next position, CRC, length and metadata",
    "ranged get",
    "whole get",
    "append to a Normal object is 409 ObjectNotAppendable",
    "wrong secret is 403 SignatureDoesNotMatch",
    "key with spaces, unicode and +",
    "delete",
]

# addressing "path": localhost endpoint with sldEnable, requests to /<bucket>/<key>.
# addressing "ip": ali-oss's own mode for an IP endpoint, /<key> with Host: <bucket>.oss-<region>.aliyuncs.com.
# (ali_oss_test.js explains both.)
COMBOS = {
    "ali-oss-v4": ("v4", False, "path"),
    "ali-oss-v1": ("v1", False, "path"),
    "ali-oss-sts-v4": ("v4", True, "path"),
    "ali-oss-sts-v1": ("v1", True, "path"),
    "ali-oss-v4-ip-endpoint": ("v4", False, "ip"),
    "ali-oss-v1-ip-endpoint": ("v1", False, "ip"),
}


@pytest.mark.parametrize("signature,sts,addressing", list(COMBOS.values()), ids=list(COMBOS))
def test_ali_oss(emulator, signature, sts, addressing):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed")
    if not ALI_OSS.is_dir():
        pytest.fail(f"{ALI_OSS} is missing: run bash scripts/setup-interop.sh")

    env = dict(os.environ)
    env.pop("OSS_SESSION_TOKEN", None)
    env.update(
        OSS_ENDPOINT=emulator.endpoint,
        OSS_BUCKET=emulator.bucket,
        OSS_REGION=emulator.region,
        OSS_ACCESS_KEY_ID=emulator.sts_ak if sts else emulator.plain_ak,
        OSS_ACCESS_KEY_SECRET=emulator.sts_sk if sts else emulator.plain_sk,
        ALI_OSS_SIGNATURE=signature,
        ALI_OSS_ADDRESSING=addressing,
    )
    if sts:
        env["OSS_SESSION_TOKEN"] = emulator.sts_token

    run = subprocess.run(
        [node, str(SCRIPT)], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    output = run.stdout + ("\n--- stderr ---\n" + run.stderr if run.stderr.strip() else "")
    context = f"{output}\n--- emulator log (tail) ---\n{emulator.log_tail()}"

    print(output)  # each check's line, shown with -rP or -s
    lines = run.stdout.splitlines()
    failures = [line for line in lines if line.startswith("FAIL ")]
    assert not failures, "ali-oss checks failed:\n" + "\n".join(failures) + "\n\n" + context
    missing = [name for name in CHECKS if f"ok {name}" not in lines]
    assert not missing, f"checks not reported as ok: {missing}\n\n{context}"
    assert run.returncode == 0, f"exit code {run.returncode}\n\n{context}"
    assert any(line.endswith(f"{len(CHECKS)} passed, 0 failed") for line in lines), context
