// Hand-written (not generated). The generated `appendAsync` and `appendFileAsync` run the call on a
// library thread but never see Swift's Task cancellation: a cancelled Task's upload went on to the
// end. These `async` forms give each call a CancelToken of its own that the awaiting Task's
// cancellation triggers, so `task.cancel()` stops the upload at its next check; it then throws
// `OssError.Cancelled` and nothing of the body lands.
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
    /// Appends `data` as `append(bucket:key:data:options:progress:cancel:)` does, on a library
    /// thread, awaited. Cancelling the awaiting Task cancels the append.
    public func append(
        bucket: String, key: String, data: Data, options: AppendOptions? = nil, progress: ProgressListener? = nil
    ) async throws -> AppendResult {
        try await withTaskCancelToken { token in
            try await appendAsync(bucket: bucket, key: key, data: data, options: options, progress: progress, cancel: token)
        }
    }

    /// Appends the file at `path`, streamed, on a library thread, awaited. Cancelling the awaiting
    /// Task cancels the append.
    public func appendFile(
        bucket: String, key: String, path: String, options: AppendOptions? = nil, progress: ProgressListener? = nil
    ) async throws -> AppendResult {
        try await withTaskCancelToken { token in
            try await appendFileAsync(bucket: bucket, key: key, path: path, options: options, progress: progress, cancel: token)
        }
    }
}
