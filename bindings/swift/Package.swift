// swift-tools-version:5.9
// The generated Swift binding (Sources/, from scripts/generate-bindings.sh) and its XCTest suite,
// built against the Rust library on Linux: scripts/test-swift.sh passes the library's folder with
// `-Xlinker -L<dir>` and LD_LIBRARY_PATH. Apps on iOS and macOS use bindings/apple instead, which
// links the same sources against the XCFramework.
import PackageDescription

let package = Package(
    name: "OssAppend",
    products: [
        .library(name: "OssAppend", targets: ["OssAppend"]),
    ],
    targets: [
        // The C declarations of the library's uniffi scaffolding.
        .systemLibrary(name: "OssAppendFFI", path: "Sources/OssAppendFFI"),
        .target(
            name: "OssAppend",
            dependencies: ["OssAppendFFI"],
            path: "Sources/OssAppend",
            linkerSettings: [.linkedLibrary("oss_append")]
        ),
        // A second process for the spool tests (a journal written by one process, sent by the next).
        .executableTarget(
            name: "SpoolChild",
            dependencies: ["OssAppend"],
            path: "Tests/SpoolChild"
        ),
        .testTarget(
            name: "OssAppendTests",
            dependencies: ["OssAppend", "SpoolChild"],
            path: "Tests/OssAppendTests"
        ),
    ]
)
