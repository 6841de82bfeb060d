#!/usr/bin/env bash
# Installs oss-append for C and C++ programs: the libraries, the headers, a pkg-config file and a
# CMake package.
#
#   scripts/install-c.sh --prefix /usr/local          build the release library and install it
#   scripts/install-c.sh --prefix DIR --debug         the debug build (what the tests use: faster)
#
# Installs:
#   PREFIX/include/oss_append.h, PREFIX/include/oss_append.hpp
#   PREFIX/lib/liboss_append.so, PREFIX/lib/liboss_append.a
#   PREFIX/lib/pkgconfig/oss-append.pc          pkg-config --cflags --libs oss-append (its Libs carry
#                                               -Wl,-rpath,PREFIX/lib: programs run with no ldconfig)
#   PREFIX/lib/cmake/OssAppend/*.cmake          find_package(OssAppend) -> OssAppend::oss_append
#                                               (shared) and OssAppend::oss_append_static
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=""
profile=release
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --debug) profile=debug; shift ;;
    *) echo "usage: $0 --prefix DIR [--debug]" >&2; exit 2 ;;
  esac
done
if [ -z "$prefix" ]; then
  echo "usage: $0 --prefix DIR [--debug]" >&2
  exit 2
fi
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)

if [ "$profile" = release ]; then
  cargo build -q --release -p oss-append --lib
else
  cargo build -q -p oss-append --lib
fi
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
lib_dir="$target_dir/$profile"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

install -d "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/OssAppend"
install -m 644 include/oss_append.h include/oss_append.hpp "$prefix/include/"
install -m 755 "$lib_dir/liboss_append.so" "$prefix/lib/"
install -m 644 "$lib_dir/liboss_append.a" "$prefix/lib/"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" packaging/oss-append.pc.in >"$prefix/lib/pkgconfig/oss-append.pc"
install -m 644 packaging/OssAppendConfig.cmake "$prefix/lib/cmake/OssAppend/"
sed -e "s|@VERSION@|$version|g" packaging/OssAppendConfigVersion.cmake.in \
  >"$prefix/lib/cmake/OssAppend/OssAppendConfigVersion.cmake"
echo "installed oss-append $version ($profile) in $prefix"
