// Hand-written (not generated): the generated `OssError` has the library's text as `description`
// but does not declare the conformance, so `"\(error)"` and `print(error)` would show the enum's
// fields instead of that text.
extension OssError: CustomStringConvertible {}
