// Hand-written (not generated): the generated `OssError` has the library's text as `description`
// but does not declare the conformance, so `"\(error)"` and `print(error)` would show the enum's
// fields instead of that text.
extension OssError: CustomStringConvertible {}

extension OssError {
    /// The service's answer when this is `.service`, else nil:
    /// `catch let error as OssError where error.serviceFailure?.kind == .positionNotEqualToLength`.
    public var serviceFailure: ServiceFailure? {
        guard case let .service(failure) = self else { return nil }
        return failure
    }
}
