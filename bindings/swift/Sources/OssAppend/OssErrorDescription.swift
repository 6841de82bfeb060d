// Hand-written (not generated): the generated `OssError` has the library's text as `description`
// but does not declare the conformance, so `"\(error)"` and `print(error)` would show the enum's
// fields instead of that text.
extension OssError: CustomStringConvertible {}

/// The fields of an `OssError.Service`, by name (the case carries ten positional values).
public struct ServiceFailure: Sendable, Equatable {
    /// What the error means.
    public let kind: ServiceErrorKind
    /// HTTP status, e.g. 409.
    public let status: Int32
    /// OSS error code, e.g. `PositionNotEqualToLength` (empty for HEAD).
    public let code: String
    /// The service's message.
    public let errorMessage: String
    /// `x-oss-request-id`, for Alibaba Cloud support.
    public let requestId: String
    /// The host that answered.
    public let hostId: String
    /// Detailed error code, e.g. `0026-00000016`.
    public let ec: String
    /// The object's real length, for `PositionNotEqualToLength`: where to append next.
    public let nextPosition: Int64?
    /// The object's CRC-64, when the response carried it.
    public let serverCrc64: Int64?
    /// The position the append asked for.
    public let position: Int64?
}

extension OssError {
    /// The service's answer by field name when this is `.Service`, else nil:
    /// `catch let error as OssError where error.service?.kind == .positionNotEqualToLength`.
    public var service: ServiceFailure? {
        guard case let .Service(kind, status, code, errorMessage, requestId, hostId, ec, nextPosition, serverCrc64, position) = self else {
            return nil
        }
        return ServiceFailure(
            kind: kind, status: status, code: code, errorMessage: errorMessage, requestId: requestId, hostId: hostId,
            ec: ec, nextPosition: nextPosition, serverCrc64: serverCrc64, position: position)
    }
}
