"""Shared fixtures for the interop suite: a local OSS emulator spoken to by official clients.

The `emulator` session fixture builds `oss-emulator` (cargo build -q -p oss-emulator), starts it on a
free loopback port with two credentials (a plain AK:SK pair and an STS AK:SK:TOKEN triple) and one
bucket, reads the port from its first stdout line (`listening on http://127.0.0.1:PORT`), yields an
`Emulator` describing it, and stops it when the session ends.

Set OSS_EMULATOR_BIN to a built binary to skip the cargo build. With OSS_INTEROP_TLS=1 the emulator
serves HTTPS (--tls-generate) and the official clients are given its certificate authority the way
each ecosystem reads one (REQUESTS_CA_BUNDLE, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS).
"""

from __future__ import annotations

import dataclasses
import os
import queue
import re
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import List, Optional

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

BUILD_TIMEOUT_S = 1800
STARTUP_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10

BUCKET = "interop-bucket"
REGION = "cn-hangzhou"

# Plain long-term credentials.
PLAIN_AK = "LTAI5tInteropPlainKey"
PLAIN_SK = "InteropPlainSecret0123456789abcd"

# STS credentials. Real STS tokens are long base64 strings; this one keeps their `+`, `/` and `=`
# so that the token travels through the signer and the server exactly as a real one would.
STS_AK = "STS.NUinteropTemporaryKey"
STS_SK = "InteropStsSecret9876543210zyxw"
STS_TOKEN = "CAIS+interop/Session+Token/Abc123xyz/0987+Zz=="

LISTENING_RE = re.compile(r"^listening on (https?://127\.0\.0\.1:(\d+))\s*$")

TLS = os.environ.get("OSS_INTEROP_TLS") == "1"


@dataclasses.dataclass
class Emulator:
    endpoint: str  # e.g. http://127.0.0.1:40123
    host: str
    port: int
    bucket: str
    region: str
    plain_ak: str
    plain_sk: str
    sts_ak: str
    sts_sk: str
    sts_token: str
    root: Path
    log_path: Path
    process: subprocess.Popen

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the emulator wrote (stdout after the first line, and stderr)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no emulator log)"
        return "\n".join(text.splitlines()[-lines:])

    def alive(self) -> bool:
        return self.process.poll() is None


def _emulator_binary() -> Path:
    override = os.environ.get("OSS_EMULATOR_BIN")
    if override:
        path = Path(override)
        if not path.is_file():
            pytest.fail(f"OSS_EMULATOR_BIN={override} is not a file")
        return path
    try:
        build = subprocess.run(
            ["cargo", "build", "-q", "-p", "oss-emulator"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"cargo build -p oss-emulator did not finish in {BUILD_TIMEOUT_S} s")
    if build.returncode != 0:
        pytest.fail(
            "cargo build -q -p oss-emulator failed "
            f"(exit {build.returncode}):\n{build.stdout[-4000:]}\n{build.stderr[-4000:]}"
        )
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))
    if not target_dir.is_absolute():
        target_dir = REPO_ROOT / target_dir
    binary = target_dir / "debug" / "oss-emulator"
    if not binary.is_file():
        pytest.fail(f"cargo build succeeded but {binary} does not exist")
    return binary


def _pump(stream, log_file, first_line: "queue.Queue[Optional[str]]") -> None:
    """Reads a child's output: hands over the first line, copies the rest to the log."""
    sent = False
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace")
        if not sent:
            first_line.put(line)
            sent = True
        log_file.write(line)
        log_file.flush()
    if not sent:
        first_line.put(None)


def _start(binary: Path, root: Path, log_path: Path) -> Emulator:
    cmd: List[str] = [
        str(binary),
        "--listen", "127.0.0.1:0",
        "--root", str(root),
        "--credentials", f"{PLAIN_AK}:{PLAIN_SK}",
        "--credentials", f"{STS_AK}:{STS_SK}:{STS_TOKEN}",
        "--bucket", BUCKET,
        "--region", REGION,
    ]
    if TLS:
        ca = log_path.parent / "ca.pem"
        cmd += ["--tls-generate", str(ca)]
        for variable in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"):
            os.environ[variable] = str(ca)
    log_file = open(log_path, "w", encoding="utf-8")
    log_file.write("$ " + " ".join(cmd) + "\n")
    log_file.flush()
    process = subprocess.Popen(
        cmd,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log_file,
    )
    first: "queue.Queue[Optional[str]]" = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, log_file, first), daemon=True).start()

    try:
        line = first.get(timeout=STARTUP_TIMEOUT_S)
    except queue.Empty:
        process.kill()
        pytest.fail(f"oss-emulator printed nothing in {STARTUP_TIMEOUT_S} s; log {log_path}")
    if line is None:
        process.wait(timeout=STOP_TIMEOUT_S)
        pytest.fail(
            f"oss-emulator exited (status {process.returncode}) before printing its address:\n"
            + log_path.read_text(errors="replace")[-4000:]
        )
    match = LISTENING_RE.match(line)
    if not match:
        process.kill()
        pytest.fail(f"oss-emulator's first line is not 'listening on http(s)://127.0.0.1:PORT': {line!r}")
    if TLS and not match.group(1).startswith("https://"):
        process.kill()
        pytest.fail(f"OSS_INTEROP_TLS=1 but the emulator serves {match.group(1)}")
    endpoint, port = match.group(1), int(match.group(2))
    return Emulator(
        endpoint=endpoint,
        host="127.0.0.1",
        port=port,
        bucket=BUCKET,
        region=REGION,
        plain_ak=PLAIN_AK,
        plain_sk=PLAIN_SK,
        sts_ak=STS_AK,
        sts_sk=STS_SK,
        sts_token=STS_TOKEN,
        root=root,
        log_path=log_path,
        process=process,
    )


def _stop(emu: Emulator) -> None:
    process = emu.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory) -> Emulator:
    binary = _emulator_binary()
    workdir = tmp_path_factory.mktemp("oss-emulator")
    root = workdir / "root"
    root.mkdir()
    emu = _start(binary, root, workdir / "emulator.log")
    # Give the listener a moment to accept if the line was printed just before bind completed.
    deadline = time.monotonic() + 5
    while True:
        try:
            with socket.create_connection((emu.host, emu.port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline or not emu.alive():
                _stop(emu)
                pytest.fail(f"oss-emulator at {emu.endpoint} does not accept connections:\n{emu.log_tail()}")
            time.sleep(0.05)
    try:
        yield emu
    finally:
        _stop(emu)


@pytest.fixture(scope="session")
def endpoint(emulator: Emulator) -> str:
    """The emulator's base URL, e.g. http://127.0.0.1:40123."""
    return emulator.endpoint
