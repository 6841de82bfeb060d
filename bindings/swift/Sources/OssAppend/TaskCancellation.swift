// Hand-written (not generated). The generated `…Async` methods run the call on a library thread
// but never see Swift's Task cancellation: a cancelled Task's upload went on to the end. These
// `async` forms, named as the blocking ones, give each call a CancelToken of its own that the
// awaiting Task's cancellation triggers, so `task.cancel()` stops the call at its next check; it
// then throws `OssError.cancelled`, and nothing of an append's body lands.
import Foundation

/// Runs `body` with a new token that the current Task's cancellation cancels (at once when the
/// Task is already cancelled).
func withTaskCancelToken<T>(_ body: (CancelToken) async throws -> T) async throws -> T {
    let token = CancelToken()
    return try await withTaskCancellationHandler {
        try await body(token)
    } onCancel: {
        token.cancel()
    }
}

extension OssClient {
    /// Appends `data`, on a library thread; cancelling the awaiting Task cancels it.
    public func append(
        bucket: String, key: String, data: Data, options: AppendOptions? = nil, progress: ProgressListener? = nil
    ) async throws -> AppendResult {
        try await withTaskCancelToken { token in
            try await appendAsync(bucket: bucket, key: key, data: data, options: options, progress: progress, cancel: token)
        }
    }

    /// Appends the file at `path`, streamed, on a library thread; cancelling the awaiting Task cancels it.
    public func appendFile(
        bucket: String, key: String, path: String, options: AppendOptions? = nil, progress: ProgressListener? = nil
    ) async throws -> AppendResult {
        try await withTaskCancelToken { token in
            try await appendFileAsync(bucket: bucket, key: key, path: path, options: options, progress: progress, cancel: token)
        }
    }

    /// The object's metadata, on a library thread.
    public func head(bucket: String, key: String) async throws -> ObjectMeta {
        try await withTaskCancelToken { token in try await headAsync(bucket: bucket, key: key, cancel: token) }
    }

    /// Reads the object or a range of it, on a library thread; cancelling the awaiting Task cancels it.
    public func get(bucket: String, key: String, range: ByteRange? = nil) async throws -> GetResult {
        try await withTaskCancelToken { token in try await getAsync(bucket: bucket, key: key, range: range, cancel: token) }
    }

    /// Writes a Normal object, on a library thread; cancelling the awaiting Task cancels it.
    public func put(
        bucket: String, key: String, data: Data, headers: ObjectHeaders? = nil, progress: ProgressListener? = nil
    ) async throws -> PutResult {
        try await withTaskCancelToken { token in
            try await putAsync(bucket: bucket, key: key, data: data, headers: headers, progress: progress, cancel: token)
        }
    }

    /// Settles an append whose outcome is unknown, on a library thread.
    public func settle(inFlight: InFlight) async throws -> Settlement {
        try await withTaskCancelToken { token in try await settleAsync(inFlight: inFlight, cancel: token) }
    }

    /// Deletes the object, on a library thread.
    public func delete(bucket: String, key: String) async throws -> String {
        try await withTaskCancelToken { token in try await deleteAsync(bucket: bucket, key: key, cancel: token) }
    }
}

extension Appender {
    /// Appends `data` at the tracked position, on a library thread; cancelling the awaiting Task
    /// cancels this append only.
    public func append(data: Data) async throws -> AppendResult {
        try await withTaskCancelToken { token in try await appendAsync(data: data, cancel: token) }
    }

    /// Appends the file at `path`, on a library thread; cancelling the awaiting Task cancels this append only.
    public func appendFile(path: String) async throws -> AppendResult {
        try await withTaskCancelToken { token in try await appendFileAsync(path: path, cancel: token) }
    }

    /// Settles the append in flight, if any, on a library thread.
    public func settle() async throws -> Settlement? {
        try await withTaskCancelToken { token in try await settleAsync(cancel: token) }
    }
}

extension Spool {
    /// Waits until everything written before is in OSS, up to `timeoutMs`, on a library thread.
    public func flush(timeoutMs: Int64) async throws {
        try await flushAsync(timeoutMs: timeoutMs)
    }
}

/// What an append reports as it goes: bytes sent (a retry starts again from 0), then its result.
public enum AppendProgress: Sendable, Equatable {
    /// `sent` of `total` bytes have gone out.
    case sent(Int64, total: Int64)
    /// The append is done.
    case done(AppendResult)
}

/// Runs `append` in a Task of its own, its progress and result into a stream; ending the
/// iteration early cancels the Task, and so the append.
func progressStream(
    _ append: @escaping @Sendable (ProgressListener) async throws -> AppendResult
) -> AsyncThrowingStream<AppendProgress, Error> {
    AsyncThrowingStream { continuation in
        let task = Task {
            do {
                let listener = ProgressHandler { sent, total in
                    continuation.yield(.sent(sent, total: total))
                    return true
                }
                continuation.yield(.done(try await append(listener)))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
    }
}

extension OssClient {
    /// Appends `data`, its progress and then its result as a stream: `for try await event in …`.
    /// Stopping the iteration early (a `break`, a cancelled Task) cancels the append.
    public func appendWithProgress(
        bucket: String, key: String, data: Data, options: AppendOptions? = nil
    ) -> AsyncThrowingStream<AppendProgress, Error> {
        progressStream { listener in
            try await self.append(bucket: bucket, key: key, data: data, options: options, progress: listener)
        }
    }

    /// Appends the file at `url`, its progress and then its result as a stream, as `appendWithProgress`.
    public func appendFileWithProgress(
        bucket: String, key: String, url: URL, options: AppendOptions? = nil
    ) -> AsyncThrowingStream<AppendProgress, Error> {
        progressStream { listener in
            try await self.appendFile(bucket: bucket, key: key, path: filePath(url), options: options, progress: listener)
        }
    }
}
