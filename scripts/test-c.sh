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
"$emulator_bin" --listen 127.0.0.1:0 --admin --credentials AK-C-TEST:SK-C-TEST \
  --credentials STS-AK-C-TEST:STS-SK-C-TEST:STS-TOKEN-C-TEST --bucket c-abi-test >"$emulator_log" 2>&1 &
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
