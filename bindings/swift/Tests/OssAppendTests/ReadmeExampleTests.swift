// The README's Swift example, verbatim between the markers below, compiled and run against the
// emulator. The app's objects it uses (AppConfig, sessionToken, fileURL) are stubs here; a test
// checks that the README's copy and this one are the same text.
import Foundation
import OssAppend
import XCTest

/// An app's settings: the endpoint and its token server (here the emulator's).
enum AppConfig {
    static let ossEndpoint = TestEmulator.shared.endpoint
    static let stsUrl = "\(TestEmulator.shared.endpoint)/-/emulator/sts"
}

let sessionToken = "app-session"

final class ReadmeExampleTests: XCTestCase {
    func testTheReadmeExampleRunsAsWritten() async throws {
        let fileURL = FileManager.default.temporaryDirectory.appendingPathComponent("clip-\(UUID()).mp4")
        try Data(repeating: 7, count: 3 * 1024 * 1024).write(to: fileURL)
        defer { try? FileManager.default.removeItem(at: fileURL) }

        // README begin
        // STS credentials from the app's own token server, fetched again 5 minutes before they expire.
        let client = try OssClient.withCredentialsUrl(
            config: ClientConfig(endpoint: AppConfig.ossEndpoint, region: "cn-hangzhou"),
            url: AppConfig.stsUrl, headers: ["Authorization": "Bearer \(sessionToken)"])

        let log = try client.appender(bucket: "my-bucket", key: "logs/device-42.log")
        do {
            let result = try await log.append(data: Data("app started\n".utf8))
            print("next position \(result.nextPosition), crc64 \(result.crc64)")
        } catch OssError.service(let failure) {
            print("HTTP \(failure.status) \(failure.code) [\(failure.requestId)], object length \(failure.nextPosition.map(String.init) ?? "?")")
        }

        // A file, streamed on a library thread; cancelling the Task cancels the upload:
        let upload = Task {
            try await client.appendFile(bucket: "my-bucket", key: "videos/clip.mp4", url: fileURL)
        }
        upload.cancel()
        // README end

        let logLength = try await client.head(bucket: "my-bucket", key: "logs/device-42.log").contentLength
        XCTAssertEqual(logLength, 12)
        // Cancelled at once: the upload either never started or finished; nothing partial landed.
        let finished = (try? await upload.value) != nil
        do {
            let length = try await client.head(bucket: "my-bucket", key: "videos/clip.mp4").contentLength
            XCTAssertTrue(finished && length == 3 * 1024 * 1024, "a cancelled upload left \(length) bytes")
        } catch OssError.service(let failure) {
            XCTAssertFalse(finished)
            XCTAssertEqual(failure.kind, .noSuchKey)
        }
    }

    func testTheReadmeHoldsThisExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let ios = try XCTUnwrap(readme.range(of: "\n## iOS\n")).upperBound
        let start = try XCTUnwrap(readme.range(of: "```swift\n", range: ios..<readme.endIndex)).upperBound
        let end = try XCTUnwrap(readme.range(of: "\n```\n", range: start..<readme.endIndex)).lowerBound
        let block = String(readme[start..<end])
        let imports = "import Foundation\nimport OssAppend\n\n"
        XCTAssertTrue(block.hasPrefix(imports), "the README's example starts with its imports")
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let from = try XCTUnwrap(source.range(of: "// README begin\n")).upperBound
        let to = try XCTUnwrap(source.range(of: "        // README end")).lowerBound
        let here = source[from..<to].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("        ") ? String($0.dropFirst(8)) : String($0) }
            .joined(separator: "\n")
        XCTAssertEqual(String(block.dropFirst(imports.count)), here.trimmingCharacters(in: .newlines),
                       "README.md's Swift example and this test's copy differ")
    }
}
