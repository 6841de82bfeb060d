import Foundation
import OssAppend
import XCTest

/// The hand-written Swift idioms (Closures.swift): listeners from closures, file URLs.
final class ClosureTests: XCTestCase {
    let emulator = TestEmulator.shared
    let bucket = TestEmulator.bucket

    func testListenersAreClosures() throws {
        let client = try emulator.client()
        let key = emulator.key("closure.bin")
        let body = Data(count: 300_000)
        let last = LastValue()
        _ = try client.append(bucket: bucket, key: key, data: body, progress: ProgressHandler { sent, _ in
            last.set(sent)
            return true
        }, cancel: nil)
        XCTAssertEqual(last.get(), Int64(body.count))
        XCTAssertThrowsError(try client.append(bucket: bucket, key: key, data: body, progress: ProgressHandler { _, _ in false }, cancel: nil)) { error in
            guard case OssError.cancelled = error else { return XCTFail("\(error)") }
        }
        let fetched = LastValue()
        let sts = try OssClient.withCredentialsProvider(config: emulator.config(), provider: CredentialsFetcher {
            fetched.set(fetched.get() + 1)
            return TestEmulator.stsFirst
        })
        XCTAssertEqual(try sts.append(bucket: bucket, key: emulator.key("closure-sts.log"), data: Data("v1".utf8), cancel: nil).nextPosition, 2)
        XCTAssertEqual(fetched.get(), 1)
    }

    func testBytesInArrays() throws {
        let client = try emulator.client()
        let key = emulator.key("bytes.log")
        XCTAssertEqual(try client.append(bucket: bucket, key: key, bytes: [104, 105]).nextPosition, 2)
        let log = try client.appender(bucket: bucket, key: key)
        XCTAssertEqual(try log.append(bytes: [33]).nextPosition, 3)
        XCTAssertEqual(try client.get(bucket: bucket, key: key).bytes, Array("hi!".utf8))
        let other = emulator.key("bytes.put")
        _ = try client.put(bucket: bucket, key: other, bytes: [1, 2, 3])
        XCTAssertEqual(try client.get(bucket: bucket, key: other).bytes, [1, 2, 3])
    }

    func testBytesInArraysAwaited() async throws {
        let client = try emulator.client()
        let key = emulator.key("bytes-async.log")
        let first = try await client.append(bucket: bucket, key: key, bytes: [104, 105])
        XCTAssertEqual(first.nextPosition, 2)
        let log = try client.appender(bucket: bucket, key: key)
        let second = try await log.append(bytes: [33])
        XCTAssertEqual(second.nextPosition, 3)
        let other = emulator.key("bytes-async.put")
        _ = try await client.put(bucket: bucket, key: other, bytes: [4, 5])
        let read = try await client.get(bucket: bucket, key: other)
        XCTAssertEqual(read.bytes, [4, 5])
        let whole = try await client.get(bucket: bucket, key: key)
        XCTAssertEqual(whole.bytes, Array("hi!".utf8))
    }

    func testFilesAreUrls() async throws {
        let client = try emulator.client()
        let key = emulator.key("url.bin")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("oss-append-\(UUID().uuidString).bin")
        try Data(repeating: 7, count: 5000).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertEqual(try client.appendFile(bucket: bucket, key: key, url: url, cancel: nil).nextPosition, 5000)
        let awaited = try await client.appendFile(bucket: bucket, key: key, url: url)
        XCTAssertEqual(awaited.nextPosition, 10_000)
        XCTAssertEqual(try client.appender(bucket: bucket, key: key).appendFile(url: url).nextPosition, 15_000)
        do {
            _ = try client.appendFile(bucket: bucket, key: key, url: URL(string: "https://example.com/x")!, cancel: nil)
            XCTFail("not a file URL")
        } catch OssError.invalidArgument(let name, _) {
            XCTAssertEqual(name, "url")
        }
    }
}

/// Every operation awaited, each stopped by its Task's cancellation.
final class AwaitTests: XCTestCase {
    let emulator = TestEmulator.shared
    let bucket = TestEmulator.bucket

    func testEveryOperationIsAwaited() async throws {
        let client = try emulator.client()
        let key = emulator.key("awaited.log")
        let first = try await client.append(bucket: bucket, key: key, data: Data("ab\n".utf8))
        XCTAssertEqual(first.nextPosition, 3)
        let meta = try await client.head(bucket: bucket, key: key)
        XCTAssertEqual(meta.contentLength, 3)
        let read = try await client.get(bucket: bucket, key: key)
        XCTAssertEqual(read.data, Data("ab\n".utf8))
        let log = try client.appender(bucket: bucket, key: key)
        let second = try await log.append(data: Data("cd\n".utf8))
        XCTAssertEqual(second.nextPosition, 6)
        let nothing = try await log.settle()
        XCTAssertNil(nothing)
        let normal = emulator.key("awaited-put.bin")
        let put = try await client.put(bucket: bucket, key: normal, data: Data("x".utf8))
        XCTAssertFalse(put.requestId.isEmpty)
        let deleted = try await client.delete(bucket: bucket, key: normal)
        XCTAssertFalse(deleted.isEmpty)
        XCTAssertThrowsError(try client.head(bucket: bucket, key: normal, cancel: nil))
    }

    func testProgressIsAStreamEndingWithTheResult() async throws {
        let client = try emulator.client()
        let key = emulator.key("stream.bin")
        let body = Data(count: 1 << 20)
        var sent: [Int64] = []
        var result: AppendResult?
        for try await event in client.appendWithProgress(bucket: bucket, key: key, data: body) {
            switch event {
            case let .sent(bytes, total):
                XCTAssertEqual(total, Int64(body.count))
                sent.append(bytes)
            case let .done(done):
                result = done
            }
        }
        XCTAssertFalse(sent.isEmpty)
        XCTAssertEqual(result?.nextPosition, Int64(body.count))
        // Leaving the loop at the first event cancels the append: nothing lands.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("oss-append-\(UUID().uuidString).bin")
        try Data(count: 64 << 20).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let big = emulator.key("stream-cancelled.bin")
        for try await event in client.appendFileWithProgress(bucket: bucket, key: big, url: url) {
            guard case .sent = event else { return XCTFail("\(event)") }
            break
        }
        try await Task.sleep(nanoseconds: 300_000_000)
        XCTAssertThrowsError(try client.head(bucket: bucket, key: big, cancel: nil))
    }

    func testACancelledTaskLeavesTheAppenderUsable() async throws {
        let client = try emulator.client()
        let key = emulator.key("awaited-cancel.log")
        let log = try client.appender(bucket: bucket, key: key)
        _ = try await log.append(data: Data("one\n".utf8))
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await log.append(data: Data("never\n".utf8))
        }
        do {
            _ = try await cancelled.value
            XCTFail("the Task was cancelled")
        } catch OssError.cancelled {
        }
        _ = try await log.append(data: Data("two\n".utf8))
        let text = try await client.get(bucket: bucket, key: key).data
        XCTAssertEqual(String(decoding: text, as: UTF8.self), "one\ntwo\n")
    }
}

/// An Int64 several threads read and write.
final class LastValue: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64 = 0
    func set(_ new: Int64) { lock.lock(); value = new; lock.unlock() }
    func get() -> Int64 { lock.lock(); defer { lock.unlock() }; return value }
}
