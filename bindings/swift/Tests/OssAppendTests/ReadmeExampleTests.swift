// The README's Swift example, verbatim between the markers below (its imports, then the top-level
// `appendOnce`, then the statements in the first test), compiled and run against the emulator. The
// app's objects it uses (AppConfig, sessionToken, fileURL) are stubs here; a test checks that the
// README's copy and this one are the same text, and another drives `appendOnce` through a lost
// response and a dropped append that are left unsettled.
import Foundation
import OssAppend
import XCTest

/// An app's settings: the endpoint and its token server (here the emulator's).
enum AppConfig {
    static let ossEndpoint = TestEmulator.shared.endpoint
    static let stsUrl = "\(TestEmulator.shared.endpoint)/-/emulator/sts"
}

let sessionToken = "app-session"

// README top begin
// Appends `data` once. An append whose outcome is unknown (OssError.unsettled: its response was
// lost and the service could not be asked) is settled before anything else is sent: sending the
// bytes again after they landed would append them twice, and the Appender refuses other bytes after
// bytes that did not land.
extension Appender {
    func appendOnce(data: Data) async throws -> AppendResult {
        while true {
            do {
                return try await append(data: data)  // landed (perhaps proven after a lost response)
            } catch OssError.unsettled {
                while true {
                    do {
                        if case .landed(let result)? = try await settle() {
                            return result  // in the object, once: go on
                        }
                        break  // did not land: send the same bytes again
                    } catch OssError.unsettled {
                        try await Task.sleep(nanoseconds: 1_000_000_000)  // the service cannot be asked yet
                    }
                }
            }
        }
    }
}
// README top end

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
            let result = try await log.appendOnce(data: Data("app started\n".utf8))
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

    /// The README's `appendOnce` settles an unsettled append, then goes on or sends it again.
    func testAppendOnceSettlesBeforeSendingAgain() async throws {
        let emulator = TestEmulator.shared
        defer { try? emulator.clearFaults() }
        // One attempt a request: a refused HEAD leaves an append whose response was lost unsettled.
        let client = try emulator.client(maxAttempts: 1)
        let key = emulator.key("append-once.log")
        let log = try client.appender(bucket: TestEmulator.bucket, key: key)
        let first = try await log.appendOnce(data: Data("one,".utf8))
        XCTAssertEqual(first.position, 0)
        // It lands, its response is lost, and the HEADs that would settle it are refused twice: the
        // append throws .unsettled, appendOnce's first settle too, its second proves it landed.
        try emulator.fault("kind=drop-after-commit&count=1")
        try emulator.fault("kind=fail&method=HEAD&status=503&count=2")
        let landed = try await log.appendOnce(data: Data("two,".utf8))
        XCTAssertEqual(landed.position, 4)
        XCTAssertTrue(landed.reconciled, "settled as landed, not sent again")
        // It is dropped before its commit, and the HEADs are refused: settled as not landed, sent again.
        try emulator.fault("kind=drop-before-commit&count=1")
        try emulator.fault("kind=fail&method=HEAD&status=503&count=2")
        let resent = try await log.appendOnce(data: Data("three".utf8))
        XCTAssertEqual(resent.position, 8)
        XCTAssertFalse(resent.reconciled, "sent again")
        let object = try await client.get(bucket: TestEmulator.bucket, key: key)
        XCTAssertEqual(String(decoding: object.data, as: UTF8.self), "one,two,three")
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
        let topFrom = try XCTUnwrap(source.range(of: "// README top begin\n")).upperBound
        let topTo = try XCTUnwrap(source.range(of: "// README top end\n")).lowerBound
        let top = String(source[topFrom..<topTo]).trimmingCharacters(in: .newlines)
        let from = try XCTUnwrap(source.range(of: "// README begin\n")).upperBound
        let to = try XCTUnwrap(source.range(of: "        // README end")).lowerBound
        let here = source[from..<to].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("        ") ? String($0.dropFirst(8)) : String($0) }
            .joined(separator: "\n")
        XCTAssertEqual(String(block.dropFirst(imports.count)), top + "\n\n" + here.trimmingCharacters(in: .newlines),
                       "README.md's Swift example and this test's copy differ")
    }
}
