#!/usr/bin/env bash
# Builds OssAppendFFI.xcframework (iOS device, iOS simulator, macOS) from the Rust library and lays
# out the Swift package beside it (Package.swift here):
#   bindings/apple/build/OssAppendFFI.xcframework   static library + header + module map per platform
#   bindings/apple/Sources/OssAppend/               the generated Swift binding, copied from bindings/swift
# Runs on macOS with Xcode (xcodebuild, lipo) and rustup. Release profile (size-tuned), feature mobile
# without the default C ABI (the Swift binding calls no C function of it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

for tool in xcodebuild lipo cargo rustup; do
  command -v "$tool" >/dev/null || { echo "build-xcframework.sh needs $tool (macOS with Xcode and rustup)" >&2; exit 1; }
done

ios=aarch64-apple-ios
ios_sim=(aarch64-apple-ios-sim x86_64-apple-ios)
macos=(aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "$ios" "${ios_sim[@]}" "${macos[@]}"

export CARGO_TARGET_DIR="$repo/target/apple"
export IPHONEOS_DEPLOYMENT_TARGET=13.0
export MACOSX_DEPLOYMENT_TARGET=10.15
for target in "$ios" "${ios_sim[@]}" "${macos[@]}"; do
  echo "== cargo build --release --no-default-features --features mobile --target $target"
  cargo build --release --lib --no-default-features --features mobile --target "$target"
done

# The Swift sources must be those the library generates.
bash scripts/generate-bindings.sh --check

build="$here/build"
rm -rf "$build"
mkdir -p "$build/ios-simulator" "$build/macos"
lib() { echo "$CARGO_TARGET_DIR/$1/release/liboss_append.a"; }
lipo -create "$(lib "${ios_sim[0]}")" "$(lib "${ios_sim[1]}")" -output "$build/ios-simulator/liboss_append.a"
lipo -create "$(lib "${macos[0]}")" "$(lib "${macos[1]}")" -output "$build/macos/liboss_append.a"

# One header and one module map, in a folder named after the module, so two XCFrameworks'
# module maps never collide in an app.
headers="$build/headers"
mkdir -p "$headers/OssAppendFFI"
cp bindings/swift/Sources/OssAppendFFI/OssAppendFFI.h "$headers/OssAppendFFI/"
cp bindings/swift/Sources/OssAppendFFI/module.modulemap "$headers/OssAppendFFI/"

xcodebuild -create-xcframework \
  -library "$(lib "$ios")" -headers "$headers" \
  -library "$build/ios-simulator/liboss_append.a" -headers "$headers" \
  -library "$build/macos/liboss_append.a" -headers "$headers" \
  -output "$build/OssAppendFFI.xcframework"

rm -rf "$here/Sources/OssAppend"
mkdir -p "$here/Sources/OssAppend"
cp bindings/swift/Sources/OssAppend/*.swift "$here/Sources/OssAppend/"

(cd "$build" && zip -qry OssAppendFFI.xcframework.zip OssAppendFFI.xcframework)
echo "built $build/OssAppendFFI.xcframework (and .zip); add bindings/apple as a Swift package"
