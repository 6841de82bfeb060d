// Hand-written (not generated): listeners and providers made from closures, and file URLs, which
// the generated binding cannot express. Each only translates to the generated API. The classes
// are final with one immutable `@Sendable` closure, so they are `Sendable` without
// `@unchecked`, as Swift 6's strict concurrency checking wants. Tested in ClosureTests.swift.
import Foundation

/// A progress listener from a closure: `ProgressHandler { sent, total in keepGoing }`. Throwing
/// fails the call with `OssError.callback`; returning false cancels it.
public final class ProgressHandler: ProgressListener {
    private let body: @Sendable (Int64, Int64) throws -> Bool

    public init(_ body: @escaping @Sendable (_ sent: Int64, _ total: Int64) throws -> Bool) {
        self.body = body
    }

    public func onProgress(sent: Int64, total: Int64) throws -> Bool {
        try body(sent, total)
    }
}

/// A spool listener from a closure: `SpoolEventHandler { event in … }`.
public final class SpoolEventHandler: SpoolListener {
    private let body: @Sendable (SpoolEvent) throws -> Void

    public init(_ body: @escaping @Sendable (SpoolEvent) throws -> Void) {
        self.body = body
    }

    public func onEvent(event: SpoolEvent) throws {
        try body(event)
    }
}

/// A credentials provider from a closure: `CredentialsFetcher { try fetchFromMyServer() }`.
public final class CredentialsFetcher: CredentialsProvider {
    private let body: @Sendable () throws -> Credentials

    public init(_ body: @escaping @Sendable () throws -> Credentials) {
        self.body = body
    }

    public func credentials() throws -> Credentials {
        try body()
    }
}

/// The path of a file URL, or `InvalidArgument` for another kind of URL.
func filePath(_ url: URL) throws -> String {
    guard url.isFileURL else {
        throw OssError.invalidArgument(name: "url", reason: "\(url) is not a file URL")
    }
    return url.path
}

extension OssClient {
    /// `appendFile(bucket:key:path:…)` for a file URL.
    public func appendFile(
        bucket: String, key: String, url: URL, options: AppendOptions? = nil, progress: ProgressListener? = nil,
        cancel: CancelToken? = nil
    ) throws -> AppendResult {
        try appendFile(bucket: bucket, key: key, path: filePath(url), options: options, progress: progress, cancel: cancel)
    }

    /// The awaited `appendFile(bucket:key:path:…)` for a file URL; cancelling the Task cancels it.
    public func appendFile(
        bucket: String, key: String, url: URL, options: AppendOptions? = nil, progress: ProgressListener? = nil
    ) async throws -> AppendResult {
        try await appendFile(bucket: bucket, key: key, path: filePath(url), options: options, progress: progress)
    }
}

extension Appender {
    /// `appendFile(path:)` for a file URL.
    public func appendFile(url: URL) throws -> AppendResult {
        try appendFile(path: filePath(url))
    }
}
