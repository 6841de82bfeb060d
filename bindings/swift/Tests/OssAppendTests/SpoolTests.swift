import Foundation
import OssAppend
import XCTest

/// The spool from Swift: write, flush, events in order; a journal written by another process is sent
/// by this one; one spool per directory.
final class SpoolTests: XCTestCase {
    let emulator = TestEmulator.shared
    let bucket = TestEmulator.bucket

    override func tearDownWithError() throws {
        try emulator.clearFaults()
    }

    private func tempDir() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("oss-append-swift-spool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Every event, in the order the listener heard them.
    final class Recorder: SpoolListener, @unchecked Sendable {
        private let lock = NSLock()
        private var heard: [SpoolEvent] = []
        func onEvent(event: SpoolEvent) {
            lock.lock()
            heard.append(event)
            lock.unlock()
        }
        var events: [SpoolEvent] {
            lock.lock()
            defer { lock.unlock() }
            return heard
        }
    }

    func testWritesReachTheObjectOnceAndTheListenerHearsEachBatchInOrder() async throws {
        let key = emulator.key("spool.log")
        let recorder = Recorder()
        let spool = try Spool.open(
            client: try emulator.client(),
            dir: try tempDir(),
            config: SpoolConfig(bucket: bucket, keyTemplate: key, batchBytes: 256, batchAgeMs: 20),
            listener: recorder
        )
        let lines = (0..<50).map { "line \($0)\n" }
        for line in lines { _ = try spool.write(data: Data(line.utf8)) }
        try await spool.flushAsync(timeoutMs: 30_000)
        let expected = lines.joined()
        XCTAssertEqual(String(decoding: try emulator.client().get(bucket: bucket, key: key, cancel: nil).data, as: UTF8.self), expected)
        let status = spool.status()
        XCTAssertEqual(status.appendedBytes, Int64(expected.utf8.count))
        XCTAssertEqual(status.pendingBytes, 0)
        XCTAssertEqual(status.object, key)
        var next: Int64 = 0
        var batches = 0
        for case let .appended(_, position, length) in recorder.events {
            XCTAssertEqual(position, next, "batches are told in order")
            next += length
            batches += 1
        }
        XCTAssertGreaterThan(batches, 1, "several batches: \(recorder.events)")
        XCTAssertEqual(next, Int64(expected.utf8.count))
        try spool.shutdown()
        XCTAssertThrowsError(try spool.write(data: Data("x".utf8))) { error in
            guard case let OssError.spool(kind, reason) = error else { return XCTFail("not a spool error: \(error)") }
            XCTAssertEqual(kind, .closed)
            XCTAssertTrue(reason.contains("closed"), reason)
        }
    }

    func testASpoolWrittenByOneProcessIsSentByTheNext() throws {
        let dir = try tempDir()
        let key = emulator.key("two-processes.log")
        // The other process writes while the service refuses every append: all stays in its journal.
        try emulator.fault("kind=fail&method=POST&status=503&count=1000")
        // SwiftPM builds the SpoolChild executable beside the test bundle.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            .deletingLastPathComponent().appendingPathComponent("SpoolChild")
        child.arguments = [dir, emulator.endpoint, bucket, key, "20"]
        let output = Pipe()
        child.standardOutput = output
        child.standardError = output
        try child.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationStatus, 0, printed)
        try emulator.clearFaults()
        // This process opens the same directory and sends what the other one left, with its marks.
        let spool = try Spool.open(client: try emulator.client(), dir: dir, config: SpoolConfig(bucket: bucket, keyTemplate: key))
        XCTAssertEqual(spool.lastMark(), Data([19]))
        try spool.flush(timeoutMs: 30_000)
        let expected = (0..<20).map { "record \($0)\n" }.joined()
        XCTAssertEqual(String(decoding: try emulator.client().get(bucket: bucket, key: key).data, as: UTF8.self), expected)
        try spool.shutdown()
    }

    func testASecondOpenOfTheSameDirectoryIsRefused() throws {
        let dir = try tempDir()
        let config = SpoolConfig(bucket: bucket, keyTemplate: emulator.key("locked.log"))
        var spool: Spool? = try Spool.open(client: try emulator.client(), dir: dir, config: config)
        XCTAssertThrowsError(try Spool.open(client: try emulator.client(), dir: dir, config: config)) { error in
            guard case let OssError.spool(kind, reason) = error else { return XCTFail("not a spool error: \(error)") }
            XCTAssertEqual(kind, .locked)
            XCTAssertTrue(reason.contains("in use"), reason)
        }
        // Dropping the last reference releases the directory: the next open succeeds.
        XCTAssertNotNil(spool)
        spool = nil
        try Spool.open(client: try emulator.client(), dir: dir, config: config).shutdown()
    }
}
