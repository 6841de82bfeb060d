// swift-tools-version:5.9
// OssAppend for iOS and macOS apps: the generated Swift binding over OssAppendFFI.xcframework.
// Run ./build-xcframework.sh first (macOS, Xcode, rustup); it writes build/ and Sources/.
// In Xcode: File > Add Package Dependencies > Add Local..., choose bindings/apple.
import PackageDescription

let package = Package(
    name: "OssAppend",
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    products: [
        .library(name: "OssAppend", targets: ["OssAppend"]),
    ],
    targets: [
        .binaryTarget(name: "OssAppendFFI", path: "build/OssAppendFFI.xcframework"),
        .target(name: "OssAppend", dependencies: ["OssAppendFFI"], path: "Sources/OssAppend"),
    ]
)
