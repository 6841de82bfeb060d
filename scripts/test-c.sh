#!/usr/bin/env bash
# The C ABI tests: builds liboss_append (static and shared) and the emulator, checks that the header
# compiles as C11 and C++17 with every warning an error, starts the emulator on a free port, then
# builds each C and C++ test program twice and runs it against the emulator:
#   - with AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer included), static library;
#   - under valgrind --leak-check=full --error-exitcode=1, shared library (valgrind and ASan cannot
#     be combined).
# Ends with one line: "c-abi: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

out="$root/target/c-abi"
mkdir -p "$out/tmp"
passed=0
failed=0
failures=()

pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1"; }

summary() {
  if [ "$failed" -gt 0 ]; then
    printf 'failed: %s\n' "${failures[@]}"
  fi
  echo "c-abi: $passed passed, $failed failed"
}

install_if_missing() { # command, Debian package
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "== installing $2 (no $1 on this machine)"
    if [ -z "${apt_updated:-}" ]; then
      apt-get update -qq && apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  fi
}
install_if_missing gcc gcc
install_if_missing g++ g++
install_if_missing valgrind valgrind
install_if_missing cmake cmake
install_if_missing pkg-config pkgconf

echo "== building liboss_append and the emulator"
if ! cargo build -q -p oss-append --lib || ! cargo build -q -p oss-emulator --bin oss-emulator; then
  fail "cargo build"
  summary
  exit 1
fi
lib_dir="$root/target/debug"
emulator_bin="$lib_dir/oss-emulator"

c_flags=(-std=c11 -Wall -Wextra -Werror -pedantic -g -I"$root/include")
cxx_flags=(-std=c++17 -Wall -Wextra -Werror -pedantic -g -I"$root/include")
asan_flags=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
static_libs=("$lib_dir/liboss_append.a" -lpthread -ldl -lm)
shared_libs=(-L"$lib_dir" -loss_append -Wl,-rpath,"$lib_dir" -lpthread)

echo "== the header compiles alone as C11 and C++17, and the C++ wrapper as C++17"
printf '#include "oss_append.h"\nint main(void) { return oss_append_version()[0] == 0; }\n' >"$out/header.c"
cp "$out/header.c" "$out/header.cpp"
printf '#include "oss_append.hpp"\nint main() { return oss_append::version().empty(); }\n' >"$out/wrapper.cpp"
if g++ "${cxx_flags[@]}" -Wshadow -Wconversion -c "$out/wrapper.cpp" -o "$out/wrapper.o" 2>"$out/wrapper.log"; then
  pass "header-hpp-c++17"
else
  cat "$out/wrapper.log"
  fail "header-hpp-c++17"
fi
if gcc "${c_flags[@]}" -c "$out/header.c" -o "$out/header-c.o" 2>"$out/header-c.log"; then
  pass "header-c11"
else
  cat "$out/header-c.log"
  fail "header-c11"
fi
if g++ "${cxx_flags[@]}" -c "$out/header.cpp" -o "$out/header-cpp.o" 2>"$out/header-cpp.log"; then
  pass "header-c++17"
else
  cat "$out/header-cpp.log"
  fail "header-c++17"
fi

echo "== no identifier or symbol is the official C SDK's"
if bash scripts/check-c-names.sh >"$out/names.log" 2>&1; then
  sed 's/^/    /' "$out/names.log"
  pass "names"
else
  cat "$out/names.log"
  fail "names"
fi

echo "== starting the emulator"
emulator_log="$out/emulator.log"
# my-bucket: the README's examples name it.
"$emulator_bin" --listen 127.0.0.1:0 --admin --credentials AK-C-TEST:SK-C-TEST \
  --credentials STS-AK-C-TEST:STS-SK-C-TEST:STS-TOKEN-C-TEST --bucket c-abi-test --bucket my-bucket >"$emulator_log" 2>&1 &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null; wait "$emulator_pid" 2>/dev/null' EXIT
endpoint=""
for _ in $(seq 1 100); do
  endpoint=$(sed -n '1s/^listening on //p' "$emulator_log")
  [ -n "$endpoint" ] && break
  sleep 0.1
done
if [ -z "$endpoint" ]; then
  cat "$emulator_log"
  fail "emulator start"
  summary
  exit 1
fi
echo "emulator at $endpoint"
# A second one serving HTTPS, with a certificate from an authority made at its start.
tls_log="$out/emulator-tls.log"
"$emulator_bin" --listen 127.0.0.1:0 --credentials AK-C-TEST:SK-C-TEST --bucket c-abi-test \
  --tls-generate "$out/emulator-ca.pem" >"$tls_log" 2>&1 &
tls_pid=$!
trap 'kill "$emulator_pid" "$tls_pid" 2>/dev/null; wait "$emulator_pid" "$tls_pid" 2>/dev/null' EXIT
tls_endpoint=""
for _ in $(seq 1 100); do
  tls_endpoint=$(sed -n '1s/^listening on //p' "$tls_log")
  [ -n "$tls_endpoint" ] && break
  sleep 0.1
done
if [ -z "$tls_endpoint" ]; then
  cat "$tls_log"
  fail "TLS emulator start"
  summary
  exit 1
fi
echo "HTTPS emulator at $tls_endpoint"
export OSS_TEST_TLS_ENDPOINT="$tls_endpoint" OSS_TEST_CA_BUNDLE="$out/emulator-ca.pem"

export OSS_TEST_ENDPOINT="$endpoint" OSS_TEST_BUCKET=c-abi-test
export OSS_TEST_ACCESS_KEY_ID=AK-C-TEST OSS_TEST_ACCESS_KEY_SECRET=SK-C-TEST
export OSS_TEST_STS_ACCESS_KEY_ID=STS-AK-C-TEST OSS_TEST_STS_ACCESS_KEY_SECRET=STS-SK-C-TEST
export OSS_TEST_STS_TOKEN=STS-TOKEN-C-TEST OSS_TEST_TMPDIR="$out/tmp"
# LeakSanitizer is on by default with ASan; every sanitizer report fails the run.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_test() { # name, variant, command...
  local name=$1 variant=$2
  shift 2
  local log="$out/$name-$variant.log"
  if OSS_TEST_VARIANT=$variant timeout 600 "$@" >"$log" 2>&1; then
    grep -E '^(ok|not ok) ' "$log" | sed 's/^/    /'
    pass "$name [$variant]"
  else
    cat "$log"
    fail "$name [$variant]"
  fi
}

# `bash scripts/test-c.sh test_api2` runs only the programs whose name holds the word.
only=${1:-}
for source in tests/c/test_append.c tests/c/test_bad_inputs.c tests/c/test_threads.c tests/c/test_spool.c tests/c/test_api2.c tests/c/test_cpp.cpp tests/c/test_hpp.cpp; do
  name=$(basename "${source%.*}")
  if [ -n "$only" ] && [[ "$name" != *"$only"* ]]; then
    continue
  fi
  case "$source" in
    *.cpp) compiler=g++ flags=("${cxx_flags[@]}") ;;
    *) compiler=gcc flags=("${c_flags[@]}") ;;
  esac
  echo "== $name"
  if $compiler "${flags[@]}" "${asan_flags[@]}" "$source" "${static_libs[@]}" -o "$out/$name-asan" 2>"$out/$name-asan-build.log"; then
    run_test "$name" asan "$out/$name-asan"
  else
    cat "$out/$name-asan-build.log"
    fail "$name [asan build]"
  fi
  if $compiler "${flags[@]}" "$source" "${shared_libs[@]}" -o "$out/$name-valgrind" 2>"$out/$name-valgrind-build.log"; then
    run_test "$name" valgrind valgrind -q --num-callers=50 --leak-check=full --error-exitcode=1 --suppressions=tests/c/valgrind.supp "$out/$name-valgrind"
  else
    cat "$out/$name-valgrind-build.log"
    fail "$name [valgrind build]"
  fi
done

echo "== examples/c: make demo (strict flags)"
if make -s -C examples/c demo EXTRA_CFLAGS=-Werror >"$out/example.log" 2>&1 &&
  [ "$(grep -c '^appended [0-9]* bytes to' "$out/example.log")" -eq 2 ] &&
  grep -q 'read .* new bytes: line 3 of 3' "$out/example.log"; then
  grep '^appended' "$out/example.log" | sed 's/^/    /'
  pass "example append_file"
else
  cat "$out/example.log"
  fail "example append_file"
fi
rm -f examples/c/append_file examples/c/tail_log

echo "== README's C and C++ examples: examples/c/exactly_once.c and .cpp, the same text, run through faults"
# Each file holds its README example verbatim below its "README begin" line.
if python3 - <<'PY' >"$out/readme-examples.log" 2>&1; then
import sys
readme = open("README.md").read()
failed = False
for heading, fence, path, marker in [
    ("### Moving from the official C SDK", "```c\n", "examples/c/exactly_once.c", "/* README begin */\n"),
    ("### C++", "```cpp\n", "examples/c/exactly_once.cpp", "// README begin\n"),
]:
    section = readme[readme.index("\n" + heading + "\n"):]
    block = section.split(fence, 1)[1].split("\n```\n", 1)[0].strip("\n")
    copy = open(path).read().split(marker, 1)[1].strip("\n")
    if block != copy:
        print(f"README.md's example under {heading!r} and {path} differ")
        failed = True
sys.exit(1 if failed else 0)
PY
  pass "README examples are examples/c/exactly_once.c and .cpp"
else
  cat "$out/readme-examples.log"
  fail "README examples are examples/c/exactly_once.c and .cpp"
fi
# Each program appends three lines: the first plainly; the emulator commits the second but drops its
# connection (a lost response), and drops the third before its commit; each time a proxy then refuses
# every connection, so the call returns UNSETTLED whatever the client's retries, until the program
# says it is settling it. Its own settle-then-decide loop must then go on after the second (landed)
# and send the third again (not landed); the object must hold every line once.
if gcc "${c_flags[@]}" examples/c/exactly_once.c "${static_libs[@]}" -o "$out/exactly_once" 2>"$out/exactly_once-build.log" &&
  g++ "${cxx_flags[@]}" examples/c/exactly_once.cpp "${static_libs[@]}" -o "$out/exactly_once_cpp" 2>>"$out/exactly_once-build.log"; then
  if OSS_ENDPOINT="$endpoint" OSS_REGION=cn-hangzhou OSS_ACCESS_KEY_ID=AK-C-TEST OSS_ACCESS_KEY_SECRET=SK-C-TEST \
    timeout 300 python3 - "$out/exactly_once" "$out/exactly_once_cpp" <<'PY' >"$out/exactly_once.log" 2>&1; then
import json, os, queue, socket, struct, subprocess, sys, threading, urllib.error, urllib.parse, urllib.request

endpoint = os.environ["OSS_ENDPOINT"]


def admin(method, path):
    request = urllib.request.Request(f"{endpoint}/-/emulator/{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def crc64(data):  # CRC-64/XZ, as OSS computes it
    crc = 0xFFFFFFFFFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xC96C5795D7870F42 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFFFFFFFFFF


class Outage:
    """A proxy between a program and the emulator that goes down, refusing every connection, from the
    moment the emulator closes one first (an append its fault dropped) until up(): no retry and no
    settling HEAD reaches the emulator, so the call returns UNSETTLED whatever the client's retries."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.lock = threading.Lock()
        self.down = False
        self.sockets = set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.listener.accept()
            with self.lock:
                if self.down:
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset
                    client.close()
                    continue
                server = socket.create_connection(self.upstream)
                self.sockets.update((client, server))
            closing = threading.Event()
            threading.Thread(target=self.pump, args=(client, server, closing, False), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client, closing, True), daemon=True).start()

    def pump(self, source, sink, closing, from_emulator):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        first = not closing.is_set()
        closing.set()
        with self.lock:
            if first and from_emulator:
                self.down = True  # the emulator dropped a connection: the outage starts
                for s in self.sockets:
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            for s in (source, sink):
                self.sockets.discard(s)
                s.close()

    def up(self):
        with self.lock:
            self.down = False


host, port = urllib.parse.urlsplit(endpoint).netloc.split(":")
outage = Outage((host, int(port)))
env = dict(os.environ, OSS_ENDPOINT=f"http://127.0.0.1:{outage.port}")
cases = [None, "drop-after-commit", "drop-before-commit"]  # plain, landed, not landed
status, body = admin("GET", "object?bucket=my-bucket&key=logs/app.log")
assert status == 404, f"logs/app.log exists before the examples ran: {body}"
expected = b""
for program in sys.argv[1:]:
    name = os.path.basename(program)
    child = subprocess.Popen([program], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    errors = queue.Queue()
    threading.Thread(target=lambda: [errors.put(l.decode()) for l in child.stderr], daemon=True).start()
    for number, fault in enumerate(cases, 1):
        if fault:
            status, body = admin("POST", f"faults?kind={fault}&count=1")
            assert status == 200, body
        line = f"{name} line {number}\n".encode()
        child.stdin.write(line)
        child.stdin.flush()
        if fault:
            said = errors.get(timeout=120)
            print(f"{name}: {said.strip()}")
            assert said.strip().endswith("settling it"), said
            outage.up()
        said = child.stdout.readline().decode()
        print(f"{name}: {said.strip()}")
        assert said.startswith(f"appended {len(line)} bytes at {len(expected)}"), said
        expected += line
    child.stdin.close()
    assert child.wait(timeout=120) == 0, f"{name} exited {child.returncode}"
status, body = admin("GET", "object?bucket=my-bucket&key=logs/app.log")
meta = json.loads(body)
assert meta["length"] == len(expected), f"the object is {meta['length']} bytes, not {len(expected)}: {body}"
assert meta["crc64"] == str(crc64(expected)), f"the object is not every line once: {body}"
print(f"the object holds the {len(expected)} bytes of every line, once")
PY
    sed 's/^/    /' "$out/exactly_once.log"
    pass "examples exactly_once (C, C++) through lost responses and outages"
  else
    cat "$out/exactly_once.log"
    fail "examples exactly_once (C, C++) through lost responses and outages"
  fi
else
  cat "$out/exactly_once-build.log"
  fail "examples exactly_once (C, C++) build"
fi

echo "== installed: scripts/install-c.sh, then examples/c built with pkg-config and with CMake"
prefix="$out/prefix"
rm -rf "$prefix" "$out/cmake-build"
run_examples() { # label, append_file binary, tail_log binary
  local log="$out/installed-$1.log"
  printf 'installed package %s\n' "$1" >"$out/installed-body.txt"
  # No LD_LIBRARY_PATH: the shared library is found through the rpath the package gave.
  if env -u LD_LIBRARY_PATH OSS_ENDPOINT="$endpoint" OSS_REGION=cn-hangzhou OSS_ACCESS_KEY_ID=AK-C-TEST \
    OSS_ACCESS_KEY_SECRET=SK-C-TEST "$2" "$out/installed-body.txt" c-abi-test "installed/$1-$$.txt" 8 >"$log" 2>&1 &&
    env -u LD_LIBRARY_PATH OSS_ENDPOINT="$endpoint" OSS_REGION=cn-hangzhou OSS_ACCESS_KEY_ID=AK-C-TEST \
      OSS_ACCESS_KEY_SECRET=SK-C-TEST "$3" c-abi-test "installed/$1-$$.log" 3 >>"$log" 2>&1 &&
    grep -q '^appended' "$log" && grep -q 'read .* new bytes: line 3 of 3' "$log"; then
    pass "installed package [$1]"
  else
    cat "$log"
    fail "installed package [$1]"
  fi
}
if bash scripts/install-c.sh --prefix "$prefix" --debug >"$out/install.log" 2>&1; then
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  # Only the installed files: no include/ or target/ of this checkout on the command lines, and no
  # rpath but the one oss-append.pc gives (the programs must start with no ldconfig or LD_LIBRARY_PATH).
  if gcc -std=c11 -Wall -Wextra -Werror examples/c/append_file.c $(pkg-config --cflags --libs oss-append) \
    -o "$out/pc-append_file" 2>"$out/pc-build.log" &&
    g++ -std=c++17 -Wall -Wextra -Werror examples/c/tail_log.cpp $(pkg-config --cflags --libs oss-append) \
      -o "$out/pc-tail_log" 2>>"$out/pc-build.log"; then
    run_examples pkg-config "$out/pc-append_file" "$out/pc-tail_log"
  else
    cat "$out/pc-build.log"
    fail "installed package [pkg-config build]"
  fi
  if cmake -S examples/c -B "$out/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >"$out/cmake.log" 2>&1 &&
    cmake --build "$out/cmake-build" >>"$out/cmake.log" 2>&1; then
    run_examples cmake "$out/cmake-build/append_file" "$out/cmake-build/tail_log"
  else
    cat "$out/cmake.log"
    fail "installed package [cmake build]"
  fi
else
  cat "$out/install.log"
  fail "scripts/install-c.sh"
fi

summary
[ "$failed" -eq 0 ]
