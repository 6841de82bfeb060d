import Foundation
import OssAppend
import XCTest

/// HTTPS from Swift: a CA bundle trusted, and a server the client does not trust.
final class TlsTests: XCTestCase {
    let bucket = TestEmulator.bucket

    private func config(trusting ca: Data?) -> ClientConfig {
        ClientConfig(
            endpoint: TlsEmulator.shared.endpoint,
            region: TestEmulator.region,
            maxAttempts: 1,
            caBundlePem: ca
        )
    }

    func testAppendsOverHttpsWithACaBundle() throws {
        XCTAssertTrue(TlsEmulator.shared.endpoint.hasPrefix("https://"), TlsEmulator.shared.endpoint)
        let client = try OssClient(config: config(trusting: TlsEmulator.shared.caPem), credentials: TestEmulator.keys)
        let key = TestEmulator.shared.key("https.log")
        _ = try client.append(bucket: bucket, key: key, data: Data("over tls".utf8))
        XCTAssertEqual(try client.get(bucket: bucket, key: key).data, Data("over tls".utf8))
    }

    func testAnUntrustedServerIsATlsErrorOfItsKind() throws {
        let client = try OssClient(config: config(trusting: nil), credentials: TestEmulator.keys)
        XCTAssertThrowsError(try client.head(bucket: bucket, key: "missing")) { error in
            guard case let OssError.tls(kind, reason) = error else { return XCTFail("not a TLS error: \(error)") }
            XCTAssertEqual(kind, .unknownIssuer)
            XCTAssertTrue(reason.contains("CA bundle"), reason)
        }
    }
}
