"""The emulator against the official Python OSS SDKs, which this project did not write.

Every scenario runs once per client and signature combination, each its own test id:

    v2-v4, v2-v1, v2-sts-v4, v2-sts-v1          alibabacloud-oss-v2 (signature_version v4 / v1)
    oss2-v4, oss2-v1, oss2-sts-v4, oss2-sts-v1  oss2 (AuthV4 / Auth / StsAuth with auth_version v4, v1)

The adapters below only translate between the SDKs' result and exception types and plain values;
every request is built, signed and sent by the SDK itself, and every value checked is what the SDK
parsed from the response. The CRC-64 that OSS reports is checked against crcmod's CRC-64/XZ of the
whole object content.

Each SDK call is made once: the v2 client is configured with retry_max_attempts=1 so that a
transient error from the emulator shows instead of being retried away (oss2 does not retry).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from typing import Callable, Dict, Optional, Tuple

import crcmod
import pytest

import alibabacloud_oss_v2 as oss
import oss2

# CRC-64/XZ (ECMA-182 polynomial, reflected), as OSS reports in x-oss-hash-crc64ecma.
crc64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)

EC_POSITION_NOT_EQUAL = "0026-00000016"
EC_NOT_APPENDABLE = "0026-00000017"

# Two append bodies: text, then every byte value (not valid UTF-8) so nothing is decoded on the way.
FIRST = b"2025-01-01T00:00:00Z first log line\n" * 7
SECOND = bytes(range(256)) * 3 + b"\r\n\x00tail"
CONTENT = FIRST + SECOND

META = {"origin": "interop", "batch": "42"}


def test_crc64_known_vector():
    assert crc64(b"123456789") == 0x995DC9BBDF1939FA
    assert crc64(b"") == 0


# ---------------------------------------------------------------------------------------------
# What the tests read from an SDK's results and errors


@dataclasses.dataclass
class Appended:
    next_position: int
    crc: int


@dataclasses.dataclass
class Head:
    object_type: Optional[str]
    next_position: Optional[int]
    crc: Optional[int]
    content_length: Optional[int]
    metadata: Dict[str, str]


@dataclasses.dataclass
class Failure:
    status: int
    code: str
    ec: str
    headers: Dict[str, str]  # lower-cased names

    def __str__(self):
        return f"status={self.status} code={self.code!r} ec={self.ec!r} headers={self.headers}"


def _int_or_none(value) -> Optional[int]:
    return None if value is None or value == "" else int(value)


def _lower_headers(headers) -> Dict[str, str]:
    return {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}


class V2Client:
    """alibabacloud-oss-v2."""

    def __init__(self, emu, ak: str, sk: str, token: Optional[str], signature: str):
        cfg = oss.config.load_default()
        cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(ak, sk, token)
        cfg.region = emu.region
        cfg.endpoint = emu.endpoint
        cfg.use_path_style = True
        cfg.signature_version = signature
        cfg.retry_max_attempts = 1
        cfg.connect_timeout = 5
        cfg.readwrite_timeout = 20
        self.client = oss.Client(cfg)
        self.bucket = emu.bucket

    def append(self, key, position, data, metadata=None, prev_crc=None, content_md5=None) -> Appended:
        r = self.client.append_object(
            oss.AppendObjectRequest(
                bucket=self.bucket, key=key, position=position, body=data, metadata=metadata, content_md5=content_md5
            )
        )
        assert r.status_code == 200, r.status_code
        return Appended(next_position=r.next_position, crc=_int_or_none(r.hash_crc64))

    def put(self, key, data):
        # The v2 client checks the CRC-64 the server returns for a PutObject against the body sent.
        r = self.client.put_object(oss.PutObjectRequest(bucket=self.bucket, key=key, body=data))
        assert r.status_code == 200, r.status_code
        assert _int_or_none(r.hash_crc64) == crc64(data)

    def head(self, key) -> Head:
        r = self.client.head_object(oss.HeadObjectRequest(bucket=self.bucket, key=key))
        return Head(
            object_type=r.object_type,
            next_position=_int_or_none(r.next_append_position),
            crc=_int_or_none(r.hash_crc64),
            content_length=r.content_length,
            metadata={k.lower(): v for k, v in (r.metadata or {}).items()},
        )

    def get(self, key, byte_range: Optional[Tuple[int, int]] = None) -> Tuple[int, bytes, Dict[str, str]]:
        req = oss.GetObjectRequest(bucket=self.bucket, key=key)
        if byte_range is not None:
            req.range_header = f"bytes={byte_range[0]}-{byte_range[1]}"
        r = self.client.get_object(req)
        with r.body as body:
            data = body.read()
        return r.status_code, data, _lower_headers(r.headers)

    def delete(self, key):
        r = self.client.delete_object(oss.DeleteObjectRequest(bucket=self.bucket, key=key))
        assert r.status_code == 204, r.status_code

    @staticmethod
    def failure(fn: Callable[[], object]) -> Failure:
        try:
            fn()
        except oss.exceptions.OperationError as err:
            serr = err.unwrap()
            assert isinstance(serr, oss.exceptions.ServiceError), f"not a service error: {err!r}"
            return Failure(serr.status_code, serr.code or "", serr.ec or "", _lower_headers(serr.headers))
        raise AssertionError("the request succeeded but an error was expected")


class Oss2Client:
    """oss2."""

    def __init__(self, emu, ak: str, sk: str, token: Optional[str], signature: str):
        version = oss2.AUTH_VERSION_4 if signature == "v4" else oss2.AUTH_VERSION_1
        if token is not None:
            auth = oss2.StsAuth(ak, sk, token, auth_version=version)
        elif signature == "v4":
            auth = oss2.AuthV4(ak, sk)
        else:
            auth = oss2.Auth(ak, sk)
        # enable_crc (the default) makes oss2 verify the CRC-64 of appends given init_crc, of puts and
        # of whole-object downloads against what the server reports.
        self.bucket = oss2.Bucket(
            auth, emu.endpoint, emu.bucket, region=emu.region, is_path_style=True, connect_timeout=20, enable_crc=True
        )

    def append(self, key, position, data, metadata=None, prev_crc=None, content_md5=None) -> Appended:
        headers = {f"x-oss-meta-{k}": v for k, v in (metadata or {}).items()}
        if content_md5 is not None:
            headers["Content-MD5"] = content_md5
        r = self.bucket.append_object(key, position, data, headers=headers, init_crc=prev_crc)
        assert r.status == 200, r.status
        return Appended(next_position=r.next_position, crc=r.crc)

    def put(self, key, data):
        r = self.bucket.put_object(key, data)
        assert r.status == 200, r.status
        assert r.crc == crc64(data)

    def head(self, key) -> Head:
        r = self.bucket.head_object(key)
        headers = _lower_headers(r.headers)
        return Head(
            object_type=r.object_type,
            next_position=_int_or_none(headers.get("x-oss-next-append-position")),
            crc=r.server_crc,
            content_length=r.content_length,
            metadata={k[len("x-oss-meta-"):]: v for k, v in headers.items() if k.startswith("x-oss-meta-")},
        )

    def get(self, key, byte_range: Optional[Tuple[int, int]] = None) -> Tuple[int, bytes, Dict[str, str]]:
        r = self.bucket.get_object(key, byte_range=byte_range)
        data = r.read()
        return r.status, data, _lower_headers(r.headers)

    def delete(self, key):
        r = self.bucket.delete_object(key)
        assert r.status == 204, r.status

    @staticmethod
    def failure(fn: Callable[[], object]) -> Failure:
        try:
            fn()
        except oss2.exceptions.OssError as err:
            assert err.status > 0, f"not a service error: {err!r}"
            return Failure(err.status, err.code or "", err.ec or "", _lower_headers(err.headers))
        raise AssertionError("the request succeeded but an error was expected")


@dataclasses.dataclass(frozen=True)
class Combo:
    id: str
    sdk: type
    signature: str  # "v4" or "v1"
    sts: bool

    def client(self, emu, secret: Optional[str] = None, access_key: Optional[str] = None, token: Optional[str] = None):
        if self.sts:
            ak, sk, tok = emu.sts_ak, emu.sts_sk, emu.sts_token
        else:
            ak, sk, tok = emu.plain_ak, emu.plain_sk, None
        return self.sdk(emu, access_key or ak, secret or sk, token or tok, self.signature)


COMBOS = [
    Combo("v2-v4", V2Client, "v4", False),
    Combo("v2-v1", V2Client, "v1", False),
    Combo("v2-sts-v4", V2Client, "v4", True),
    Combo("v2-sts-v1", V2Client, "v1", True),
    Combo("oss2-v4", Oss2Client, "v4", False),
    Combo("oss2-v1", Oss2Client, "v1", False),
    Combo("oss2-sts-v4", Oss2Client, "v4", True),
    Combo("oss2-sts-v1", Oss2Client, "v1", True),
]


@pytest.fixture(params=COMBOS, ids=[c.id for c in COMBOS])
def combo(request) -> Combo:
    return request.param


@pytest.fixture
def client(combo, emulator):
    return combo.client(emulator)


@pytest.fixture
def key_prefix(combo, request) -> str:
    """A key prefix unique to the test and combination: all tests share one emulator."""
    return f"interop/{combo.id}/{request.node.originalname}/"


def _context(emulator) -> str:
    return f"\n--- emulator log (tail) ---\n{emulator.log_tail()}"


# ---------------------------------------------------------------------------------------------
# Scenarios


def test_two_appends_report_position_and_whole_object_crc(client, key_prefix, emulator):
    key = key_prefix + "app.log"
    first = client.append(key, 0, FIRST, metadata=META, prev_crc=0)
    assert first.next_position == len(FIRST), _context(emulator)
    assert first.crc == crc64(FIRST), f"CRC after first append {first.crc} != {crc64(FIRST)}"

    second = client.append(key, first.next_position, SECOND, prev_crc=first.crc)
    assert second.next_position == len(CONTENT)
    # The service reports the CRC of the whole object, not of the second body.
    assert second.crc == crc64(CONTENT), f"CRC after second append {second.crc} != {crc64(CONTENT)}"
    assert second.crc != crc64(SECOND)

    status, data, headers = client.get(key)
    assert status == 200
    assert data == CONTENT
    if "x-oss-hash-crc64ecma" in headers:
        assert headers["x-oss-hash-crc64ecma"] == str(crc64(CONTENT))


def test_wrong_position_is_409_with_next_position(client, key_prefix, combo, emulator):
    key = key_prefix + "app.log"
    first = client.append(key, 0, FIRST, prev_crc=0)
    assert first.next_position == len(FIRST)

    cases = {
        "position 0 on a non-empty object": 0,
        "position behind the end": len(FIRST) - 1,
        "position past the end": len(FIRST) + 10,
    }
    for label, position in cases.items():
        fail = client.failure(lambda: client.append(key, position, SECOND))
        assert fail.status == 409, f"{label}: {fail}"
        assert fail.code == "PositionNotEqualToLength", f"{label}: {fail}"
        assert fail.ec == EC_POSITION_NOT_EQUAL, f"{label}: {fail}"
        assert fail.headers.get("x-oss-next-append-position") == str(len(FIRST)), f"{label}: {fail}"
        assert fail.headers.get("x-oss-request-id"), f"{label}: no x-oss-request-id: {fail}"

    if combo.sdk is Oss2Client:
        # oss2 raises its own PositionNotEqualToLength type carrying the next position.
        try:
            client.bucket.append_object(key, 0, SECOND)
        except oss2.exceptions.PositionNotEqualToLength as err:
            assert err.next_position == len(FIRST)
        else:
            raise AssertionError("append at position 0 succeeded on a non-empty object")

    # The failed appends changed nothing: the object is still the first body.
    head = client.head(key)
    assert head.content_length == len(FIRST)
    assert head.next_position == len(FIRST)
    assert head.crc == crc64(FIRST)
    # ...and appending at the reported position works.
    again = client.append(key, len(FIRST), SECOND, prev_crc=first.crc)
    assert again.next_position == len(CONTENT)
    assert again.crc == crc64(CONTENT)


def test_append_to_normal_object_is_object_not_appendable(client, key_prefix):
    key = key_prefix + "normal.txt"
    client.put(key, FIRST)
    for position in (0, len(FIRST)):
        fail = client.failure(lambda: client.append(key, position, SECOND))
        assert fail.status == 409, f"position {position}: {fail}"
        assert fail.code == "ObjectNotAppendable", f"position {position}: {fail}"
        assert fail.ec == EC_NOT_APPENDABLE, f"position {position}: {fail}"

    if isinstance(client, Oss2Client):
        with pytest.raises(oss2.exceptions.ObjectNotAppendable):
            client.bucket.append_object(key, 0, SECOND)

    head = client.head(key)
    assert head.object_type == "Normal"
    assert head.content_length == len(FIRST)
    status, data, _ = client.get(key)
    assert (status, data) == (200, FIRST)


def test_put_replaces_appendable_with_normal(client, key_prefix):
    key = key_prefix + "app.log"
    client.append(key, 0, FIRST, prev_crc=0)
    assert client.head(key).object_type == "Appendable"
    client.put(key, SECOND)
    head = client.head(key)
    assert head.object_type == "Normal"
    assert head.content_length == len(SECOND)
    assert head.crc == crc64(SECOND)
    fail = client.failure(lambda: client.append(key, len(SECOND), FIRST))
    assert (fail.status, fail.code) == (409, "ObjectNotAppendable"), str(fail)


def test_head_reports_appendable_fields(client, key_prefix):
    key = key_prefix + "app.log"
    first = client.append(key, 0, FIRST, metadata=META, prev_crc=0)
    # Metadata is a create parameter: set on the first append only, kept by the second.
    client.append(key, first.next_position, SECOND, prev_crc=first.crc)

    head = client.head(key)
    assert head.object_type == "Appendable"
    assert head.next_position == len(CONTENT)
    assert head.content_length == len(CONTENT)
    assert head.crc == crc64(CONTENT)
    for name, value in META.items():
        assert head.metadata.get(name) == value, f"x-oss-meta-{name}: {head.metadata}"


def test_ranged_get(client, key_prefix):
    key = key_prefix + "app.log"
    first = client.append(key, 0, FIRST, prev_crc=0)
    client.append(key, first.next_position, SECOND, prev_crc=first.crc)

    # A range that spans both appends.
    start, end = len(FIRST) - 5, len(FIRST) + 9
    status, data, headers = client.get(key, (start, end))
    assert status == 206
    assert data == CONTENT[start : end + 1]
    assert headers.get("content-range") == f"bytes {start}-{end}/{len(CONTENT)}"
    assert headers.get("content-length") == str(end - start + 1)

    # The last bytes.
    status, data, _ = client.get(key, (len(CONTENT) - 4, len(CONTENT) - 1))
    assert status == 206
    assert data == CONTENT[-4:]


def test_wrong_secret_is_403_signature_does_not_match(combo, emulator, key_prefix):
    key = key_prefix + "app.log"
    good = combo.client(emulator)
    bad = combo.client(emulator, secret=(emulator.sts_sk if combo.sts else emulator.plain_sk) + "x")

    fail = bad.failure(lambda: bad.append(key, 0, FIRST))
    assert fail.status == 403, str(fail)
    assert fail.code == "SignatureDoesNotMatch", str(fail)

    # The rejected request created nothing.
    fail = good.failure(lambda: good.head(key))
    assert fail.status == 404, str(fail)

    # Other operations are refused too (HEAD errors carry no body: status only).
    good.append(key, 0, FIRST, prev_crc=0)
    assert bad.failure(lambda: bad.head(key)).status == 403
    fail = bad.failure(lambda: bad.get(key))
    assert (fail.status, fail.code) == (403, "SignatureDoesNotMatch"), str(fail)
    fail = bad.failure(lambda: bad.delete(key))
    assert (fail.status, fail.code) == (403, "SignatureDoesNotMatch"), str(fail)
    assert good.head(key).content_length == len(FIRST)


def test_unknown_access_key_is_403(combo, emulator, key_prefix):
    stranger = combo.client(emulator, access_key="LTAI5tNobodyKnowsThisKey")
    fail = stranger.failure(lambda: stranger.append(key_prefix + "app.log", 0, FIRST))
    assert fail.status == 403, str(fail)
    assert fail.code == "InvalidAccessKeyId", str(fail)


@pytest.mark.parametrize("combo", [c for c in COMBOS if c.sts], ids=[c.id for c in COMBOS if c.sts])
def test_wrong_sts_token_is_403(combo, emulator, key_prefix):
    # The signature is right (the client signs the token it sends); the token is not the one issued.
    wrong = combo.client(emulator, token=emulator.sts_token[:-4] + "AAA=")
    fail = wrong.failure(lambda: wrong.append(key_prefix + "app.log", 0, FIRST))
    assert fail.status == 403, str(fail)
    assert fail.code in ("InvalidSecurityToken", "SecurityTokenExpired"), str(fail)


@pytest.mark.parametrize(
    "sdk,signature",
    [(V2Client, "v4"), (V2Client, "v1"), (Oss2Client, "v4"), (Oss2Client, "v1")],
    ids=["v2-v4", "v2-v1", "oss2-v4", "oss2-v1"],
)
def test_sts_key_without_token_is_403(emulator, sdk, signature):
    # A temporary access key is valid only together with its security token.
    client = sdk(emulator, emulator.sts_ak, emulator.sts_sk, None, signature)
    key = f"interop/sts-no-token/{sdk.__name__}-{signature}/app.log"
    fail = client.failure(lambda: client.append(key, 0, FIRST))
    assert fail.status == 403, str(fail)


def test_content_md5(client, key_prefix):
    key = key_prefix + "app.log"
    md5 = lambda data: base64.b64encode(hashlib.md5(data).digest()).decode()
    first = client.append(key, 0, FIRST, prev_crc=0, content_md5=md5(FIRST))
    assert first.next_position == len(FIRST)

    # A body that does not match its Content-MD5 is refused and not stored.
    fail = client.failure(lambda: client.append(key, len(FIRST), SECOND, content_md5=md5(FIRST)))
    assert (fail.status, fail.code) == (400, "InvalidDigest"), str(fail)
    head = client.head(key)
    assert (head.content_length, head.crc) == (len(FIRST), crc64(FIRST))

    second = client.append(key, len(FIRST), SECOND, prev_crc=first.crc, content_md5=md5(SECOND))
    assert (second.next_position, second.crc) == (len(CONTENT), crc64(CONTENT))


def test_delete(client, key_prefix):
    key = key_prefix + "app.log"
    first = client.append(key, 0, FIRST, prev_crc=0)
    client.append(key, first.next_position, SECOND, prev_crc=first.crc)
    client.delete(key)

    assert client.failure(lambda: client.head(key)).status == 404
    fail = client.failure(lambda: client.get(key))
    assert (fail.status, fail.code) == (404, "NoSuchKey"), str(fail)

    # Deleting a missing object succeeds, as on OSS.
    client.delete(key)

    # The key starts over as a new appendable object at position 0.
    again = client.append(key, 0, SECOND, prev_crc=0)
    assert again.next_position == len(SECOND)
    assert again.crc == crc64(SECOND)


UNUSUAL_KEYS = {
    "space": "dir with space/log file 1.txt",
    "plus": "plus+sign/a+b+c.log",
    "unicode": "日志/ünïcødé-β.log",
    "mixed": "mixed dir/ä+b c~(1)=x&y;z@,$'!*.log",
}


@pytest.mark.parametrize("name", list(UNUSUAL_KEYS.values()), ids=list(UNUSUAL_KEYS))
def test_unusual_keys(client, key_prefix, name):
    key = key_prefix + name
    first = client.append(key, 0, FIRST, metadata=META, prev_crc=0)
    second = client.append(key, first.next_position, SECOND, prev_crc=first.crc)
    assert second.next_position == len(CONTENT)
    assert second.crc == crc64(CONTENT)

    fail = client.failure(lambda: client.append(key, 0, SECOND))
    assert (fail.status, fail.code, fail.ec) == (409, "PositionNotEqualToLength", EC_POSITION_NOT_EQUAL), str(fail)

    head = client.head(key)
    assert (head.object_type, head.content_length, head.crc) == ("Appendable", len(CONTENT), crc64(CONTENT))
    status, data, _ = client.get(key, (3, 20))
    assert (status, data) == (206, CONTENT[3:21])
    client.delete(key)
    assert client.failure(lambda: client.head(key)).status == 404


# ---------------------------------------------------------------------------------------------
# The v2 SDK's append-file helper (HEADs once, then tracks position and CRC itself)


@pytest.mark.parametrize("signature", ["v4", "v1"])
def test_v2_append_file_helper(emulator, signature):
    client = V2Client(emulator, emulator.plain_ak, emulator.plain_sk, None, signature).client
    key = f"interop/v2-{signature}/append-file/helper log.txt"
    create = oss.AppendObjectRequest(metadata=META, content_type="text/plain")

    with client.append_file(emulator.bucket, key, create_parameter=create) as f:
        assert f.tell() == 0
        assert f.write(FIRST) == len(FIRST)
        assert f.write(SECOND) == len(SECOND)
        assert f.tell() == len(CONTENT)

    # Reopening HEADs the object and carries on at its end.
    with client.append_file(emulator.bucket, key) as f:
        assert f.tell() == len(CONTENT)
        assert f.write(b"more") == 4

    r = client.head_object(oss.HeadObjectRequest(bucket=emulator.bucket, key=key))
    assert r.object_type == "Appendable"
    assert r.content_length == len(CONTENT) + 4
    assert int(r.hash_crc64) == crc64(CONTENT + b"more")
    assert r.content_type == "text/plain"
    assert {k.lower(): v for k, v in (r.metadata or {}).items()} == META
