// Hand-written (not generated): `[UInt8]` where the generated API takes `Data`, for code that holds
// its bytes as an array. Each overload converts and calls the `Data` form.
import Foundation

extension OssClient {
    /// `append(bucket:key:data:…)` for bytes in an array.
    public func append(
        bucket: String, key: String, bytes: [UInt8], options: AppendOptions? = nil, progress: ProgressListener? = nil,
        cancel: CancelToken? = nil
    ) throws -> AppendResult {
        try append(bucket: bucket, key: key, data: Data(bytes), options: options, progress: progress, cancel: cancel)
    }

    /// The awaited `append(bucket:key:data:…)` for bytes in an array; cancelling the Task cancels it.
    public func append(
        bucket: String, key: String, bytes: [UInt8], options: AppendOptions? = nil, progress: ProgressListener? = nil
    ) async throws -> AppendResult {
        try await append(bucket: bucket, key: key, data: Data(bytes), options: options, progress: progress)
    }

    /// `put(bucket:key:data:…)` for bytes in an array.
    public func put(
        bucket: String, key: String, bytes: [UInt8], headers: ObjectHeaders? = nil, progress: ProgressListener? = nil,
        cancel: CancelToken? = nil
    ) throws -> PutResult {
        try put(bucket: bucket, key: key, data: Data(bytes), headers: headers, progress: progress, cancel: cancel)
    }

    /// The awaited `put(bucket:key:data:…)` for bytes in an array; cancelling the Task cancels it.
    public func put(
        bucket: String, key: String, bytes: [UInt8], headers: ObjectHeaders? = nil, progress: ProgressListener? = nil
    ) async throws -> PutResult {
        try await put(bucket: bucket, key: key, data: Data(bytes), headers: headers, progress: progress)
    }
}

extension Appender {
    /// `append(data:)` for bytes in an array.
    public func append(bytes: [UInt8], cancel: CancelToken? = nil) throws -> AppendResult {
        try append(data: Data(bytes), cancel: cancel)
    }

    /// The awaited `append(data:)` for bytes in an array; cancelling the Task cancels this append only.
    public func append(bytes: [UInt8]) async throws -> AppendResult {
        try await append(data: Data(bytes))
    }
}

extension GetResult {
    /// The bytes read, as an array.
    public var bytes: [UInt8] { [UInt8](data) }
}
