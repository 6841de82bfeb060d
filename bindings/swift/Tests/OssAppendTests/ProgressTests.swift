import Foundation
import OssAppend
import XCTest

/// Records every (sent, total) and whether it came on the main thread.
final class Recorder: ProgressListener, @unchecked Sendable {
    private let lock = NSLock()
    private var _calls: [(sent: Int64, total: Int64)] = []
    private var _onMainThread = false
    private let keepGoing: (Int64) -> Bool

    init(keepGoing: @escaping (Int64) -> Bool = { _ in true }) {
        self.keepGoing = keepGoing
    }

    var calls: [(sent: Int64, total: Int64)] { lock.lock(); defer { lock.unlock() }; return _calls }
    var calledOnMainThread: Bool { lock.lock(); defer { lock.unlock() }; return _onMainThread }

    func onProgress(sent: Int64, total: Int64) -> Bool {
        lock.lock()
        _calls.append((sent, total))
        _onMainThread = _onMainThread || Thread.isMainThread
        lock.unlock()
        return keepGoing(sent)
    }
}

/// A listener that throws a Swift error at its first call.
final class Thrower: ProgressListener, @unchecked Sendable {
    struct DiskFull: Error, CustomStringConvertible {
        var description: String { "disk full" }
    }

    func onProgress(sent: Int64, total: Int64) throws -> Bool {
        throw DiskFull()
    }
}

/// Progress listeners, cancellation and the threads callbacks arrive on.
final class ProgressTests: XCTestCase {
    let emulator = TestEmulator.shared
    let bucket = TestEmulator.bucket
    let body = Data((0..<(1024 * 1024)).map { UInt8(truncatingIfNeeded: $0) })

    func isCancelled(_ error: Error) -> Bool {
        if case OssError.cancelled = error { return true }
        return false
    }

    func testProgressRisesInOrderToTheTotal() throws {
        let client = try emulator.client()
        let progress = Recorder()
        let result = try client.append(bucket: bucket, key: emulator.key("progress.bin"), data: body, progress: progress)
        XCTAssertEqual(result.nextPosition, Int64(body.count))
        let calls = progress.calls
        XCTAssertGreaterThan(calls.count, 1, "one call per chunk sent")
        XCTAssertTrue(calls.allSatisfy { $0.total == Int64(body.count) })
        XCTAssertTrue(zip(calls, calls.dropFirst()).allSatisfy { $0.sent < $1.sent })
        XCTAssertEqual(calls.last?.sent, Int64(body.count))
    }

    func testListenerReturningFalseCancelsAndNothingIsAppended() throws {
        let client = try emulator.client()
        let key = emulator.key("cancelled.bin")
        let progress = Recorder { _ in false }
        XCTAssertThrowsError(try client.append(bucket: bucket, key: key, data: body, progress: progress)) { error in
            XCTAssertTrue(self.isCancelled(error), "\(error)")
        }
        XCTAssertEqual(progress.calls.count, 1)
        XCTAssertThrowsError(try client.head(bucket: bucket, key: key, cancel: nil))
    }

    func testCancelTokenStopsACallFromAnotherThread() throws {
        let client = try emulator.client()
        let key = emulator.key("token.bin")
        let token = CancelToken()
        let cancelled = DispatchSemaphore(value: 0)
        // At the first chunk, another thread cancels; the call stops at its next check.
        let progress = Recorder { _ in
            if !token.isCancelled() {
                Thread.detachNewThread { token.cancel(); cancelled.signal() }
                _ = cancelled.wait(timeout: .now() + 5)
            }
            return true
        }
        XCTAssertThrowsError(try client.append(bucket: bucket, key: key, data: body, progress: progress, cancel: token)) { error in
            XCTAssertTrue(self.isCancelled(error), "\(error)")
        }
        XCTAssertTrue(token.isCancelled())
        XCTAssertThrowsError(try client.head(bucket: bucket, key: key, cancel: nil))
        // A cancelled token stays cancelled: the next call using it fails at once.
        XCTAssertThrowsError(try client.append(bucket: bucket, key: key, data: body, cancel: token)) { error in
            XCTAssertTrue(self.isCancelled(error), "\(error)")
        }
    }

    func testAsyncCallsBackFromRustThreads() async throws {
        let client = try emulator.client()
        let progress = Recorder()
        let result = try await client.appendAsync(bucket: bucket, key: emulator.key("async.bin"), data: body, progress: progress)
        XCTAssertEqual(result.nextPosition, Int64(body.count))
        XCTAssertEqual(progress.calls.last?.sent, Int64(body.count))
        XCTAssertFalse(progress.calledOnMainThread)
    }

    func testAsyncCallsBackOnTheLibrarysNamedThreads() async throws {
        // The library's threads are a small pool named oss-append-N, reused from call to call.
        let client = try emulator.client()
        final class Names: @unchecked Sendable {
            let lock = NSLock()
            var seen = Set<String>()
        }
        let names = Names()
        let listener = ProgressHandler { _, _ in
            #if os(Linux)
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            #else
            var buffer = [CChar](repeating: 0, count: 64)
            pthread_getname_np(pthread_self(), &buffer, buffer.count)
            let name = String(cString: buffer)
            #endif
            names.lock.withLock { _ = names.seen.insert(name) }
            return true
        }
        for _ in 0..<5 {
            _ = try await client.append(bucket: bucket, key: emulator.key("named.bin"), data: body, progress: listener)
        }
        let seen = names.lock.withLock { names.seen }
        XCTAssertFalse(seen.isEmpty)
        XCTAssertTrue(seen.allSatisfy { $0.hasPrefix("oss-append-") && Int($0.dropFirst("oss-append-".count)) != nil }, "\(seen)")
    }

    func testConcurrentAsyncAppendsCallBackIndependently() async throws {
        let client = try emulator.client()
        let keys = (0..<4).map { emulator.key("parallel-\($0).bin") }
        let recorders = keys.map { _ in Recorder() }
        let body = self.body
        let bucket = self.bucket
        try await withThrowingTaskGroup(of: Int64.self) { group in
            for (key, recorder) in zip(keys, recorders) {
                group.addTask {
                    try await client.appendAsync(bucket: bucket, key: key, data: body, progress: recorder).nextPosition
                }
            }
            for try await next in group {
                XCTAssertEqual(next, Int64(body.count))
            }
        }
        for recorder in recorders {
            XCTAssertEqual(recorder.calls.last?.sent, Int64(body.count))
        }
        for key in keys {
            XCTAssertEqual(try client.head(bucket: bucket, key: key, cancel: nil).contentLength, Int64(body.count))
        }
    }

    func testBlockingCallsFromManyThreadsShareOneClient() throws {
        let client = try emulator.client()
        let key = emulator.key("shared.log")
        let log = try client.appender(bucket: bucket, key: key)
        let failures = Recorder()
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            for _ in 0..<5 {
                do {
                    _ = try log.append(data: Data("line \(i)\n".utf8))
                } catch {
                    _ = failures.onProgress(sent: 0, total: 0)
                }
            }
        }
        XCTAssertEqual(failures.calls.count, 0)
        XCTAssertEqual(log.nextPosition(), 40 * 7)
        let text = String(decoding: try client.get(bucket: bucket, key: key).data, as: UTF8.self)
        XCTAssertEqual(text.split(separator: "\n").count, 40)
    }

    func testAsyncCallCancelledByItsToken() async throws {
        let client = try emulator.client()
        let key = emulator.key("async-token.bin")
        let token = CancelToken()
        let progress = Recorder { _ in token.cancel(); return true }
        do {
            _ = try await client.appendAsync(bucket: bucket, key: key, data: body, progress: progress, cancel: token)
            XCTFail("the token was cancelled")
        } catch {
            XCTAssertTrue(isCancelled(error), "\(error)")
        }
        XCTAssertThrowsError(try client.head(bucket: bucket, key: key, cancel: nil))
    }

    func testListenerThatThrowsFailsTheCallWithCallbackAndNothingIsAppended() throws {
        let client = try emulator.client()
        let key = emulator.key("thrown.bin")
        XCTAssertThrowsError(try client.append(bucket: bucket, key: key, data: body, progress: Thrower())) { error in
            guard case let OssError.callback(callback, reason) = error else {
                return XCTFail("not a callback error: \(error)")
            }
            XCTAssertEqual(callback, .progress)
            XCTAssertEqual(reason, "disk full")
            XCTAssertEqual("\(error)", "the progress listener threw: disk full")
        }
        XCTAssertThrowsError(try client.head(bucket: bucket, key: key, cancel: nil))
    }

    func testListenerThatThrowsFailsAnAwaitedCallWithCallback() async throws {
        let client = try emulator.client()
        let key = emulator.key("thrown-async.bin")
        do {
            _ = try await client.append(bucket: bucket, key: key, data: body, progress: Thrower())
            XCTFail("the listener threw")
        } catch OssError.callback(let callback, _) {
            XCTAssertEqual(callback, .progress)
        }
        XCTAssertThrowsError(try client.head(bucket: bucket, key: key, cancel: nil))
    }

    func testCancellingTheTaskCancelsTheUploadAndNothingLands() async throws {
        let client = try emulator.client()
        let key = emulator.key("task-cancel.bin")
        let size = 64 << 20
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("oss-append-\(UUID().uuidString).bin")
        try Data(count: size).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        // A slow listener keeps the upload going long enough to be cancelled in the middle.
        let progress = Recorder { _ in usleep(2_000); return true }
        let bucket = self.bucket
        let task = Task { try await client.appendFile(bucket: bucket, key: key, path: url.path, progress: progress) }
        while progress.calls.isEmpty {
            try await Task.sleep(nanoseconds: 1_000_000)
        }
        task.cancel()
        do {
            _ = try await task.value
            XCTFail("the Task was cancelled")
        } catch {
            XCTAssertTrue(isCancelled(error), "\(error)")
        }
        XCTAssertLessThan(progress.calls.last?.sent ?? 0, Int64(size))
        XCTAssertThrowsError(try client.head(bucket: bucket, key: key, cancel: nil))
        // A Task cancelled before the call starts appends nothing either.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.append(bucket: bucket, key: key, data: Data("x".utf8))
        }
        do {
            _ = try await early.value
            XCTFail("the Task was cancelled")
        } catch {
            XCTAssertTrue(isCancelled(error), "\(error)")
        }
        XCTAssertThrowsError(try client.head(bucket: bucket, key: key, cancel: nil))
    }
}
