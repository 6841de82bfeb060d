import Foundation
import OssAppend
import XCTest

/// Every failure is one `OssError` enum; a `switch` over it handles each kind.
final class ErrorTests: XCTestCase {
    let emulator = TestEmulator.shared
    let bucket = TestEmulator.bucket

    override func tearDownWithError() throws {
        try emulator.clearFaults()
    }

    /// The service's answer of a `.service` error, or a test failure.
    func service(_ error: Error, file: StaticString = #filePath, line: UInt = #line) -> ServiceFailure? {
        guard case let OssError.service(service) = error else {
            XCTFail("not a service error: \(error)", file: file, line: line)
            return nil
        }
        return service
    }

    func testAppendAtWrongPositionReportsNextPosition() throws {
        let client = try emulator.client()
        let key = emulator.key("position.log")
        let first = try client.append(bucket: bucket, key: key, data: Data("12345".utf8))
        var next: Int64?
        // Given a position and CRC, the client sends at once (no HEAD), and the service refuses.
        XCTAssertThrowsError(try client.append(bucket: bucket, key: key, data: Data("x".utf8),
                                               options: AppendOptions(position: 2, crc64: first.crc64))) { error in
            guard let e = self.service(error) else { return }
            XCTAssertEqual(e.status, 409)
            XCTAssertEqual(e.code, "PositionNotEqualToLength")
            XCTAssertEqual(e.ec, "0026-00000016")
            XCTAssertEqual(e.nextPosition, 5)
            XCTAssertEqual(e.position, 2)
            XCTAssertFalse(e.requestId.isEmpty)
            XCTAssertFalse(e.errorMessage.isEmpty)
            // The description is the library's text, which says what to do.
            XCTAssertTrue("\(error)".contains("append at the next position"), "\(error)")
            XCTAssertTrue("\(error)".contains("[EC 0026-00000016]"), "\(error)")
            next = e.nextPosition
        }
        // Resuming where the service says works.
        let resumed = try client.append(bucket: bucket, key: key, data: Data("x".utf8), options: AppendOptions(position: next))
        XCTAssertEqual(resumed.nextPosition, 6)
    }

    func testAppendToNormalObjectIsNotAppendable() throws {
        let client = try emulator.client()
        let key = emulator.key("normal.bin")
        _ = try client.put(bucket: bucket, key: key, data: Data("normal".utf8))
        XCTAssertThrowsError(try client.append(bucket: bucket, key: key, data: Data("x".utf8),
                                               options: AppendOptions(position: 6, crc64: 0))) { error in
            guard let e = self.service(error) else { return }
            XCTAssertEqual(e.status, 409)
            XCTAssertEqual(e.code, "ObjectNotAppendable")
            XCTAssertEqual(e.ec, "0026-00000017")
        }
    }

    func testWrongSecretIsSignatureDoesNotMatch() throws {
        let bad = try emulator.client(Credentials(accessKeyId: "test-ak", accessKeySecret: "not-the-secret"))
        // At position 0 no HEAD goes first: the append itself is refused, with the service's code.
        XCTAssertThrowsError(try bad.append(bucket: bucket, key: emulator.key("x"), data: Data("x".utf8),
                                            options: AppendOptions(position: 0))) { error in
            guard let e = self.service(error) else { return }
            XCTAssertEqual(e.status, 403)
            XCTAssertEqual(e.code, "SignatureDoesNotMatch")
            XCTAssertEqual(e.ec, "0002-00000040")
        }
    }

    func testStsKeysWithoutTheirTokenAreRefused() throws {
        let s = TestEmulator.stsFirst
        let noToken = try emulator.client(Credentials(accessKeyId: s.accessKeyId, accessKeySecret: s.accessKeySecret))
        XCTAssertThrowsError(try noToken.append(bucket: bucket, key: emulator.key("x"), data: Data("x".utf8))) { error in
            XCTAssertEqual(self.service(error)?.status, 403)
        }
    }

    func testBadArgumentsFailBeforeAnythingIsSent() throws {
        let client = try emulator.client()
        XCTAssertThrowsError(try client.append(bucket: "", key: "key", data: Data("x".utf8))) { error in
            guard case OssError.invalidArgument(let name, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "bucket")
        }
        XCTAssertThrowsError(try OssClient(config: ClientConfig(endpoint: "ftp://example"), credentials: TestEmulator.keys)) { error in
            guard case OssError.invalidArgument = error else { return XCTFail("\(error)") }
        }
        let coldArchive = AppendOptions(headers: ObjectHeaders(storageClass: .coldArchive))
        XCTAssertThrowsError(try client.append(bucket: bucket, key: emulator.key("x"), data: Data("x".utf8), options: coldArchive)) { error in
            guard case OssError.invalidArgument = error else { return XCTFail("\(error)") }
        }
    }

    func testMissingFileIsReportedAsInvalidArgument() throws {
        let client = try emulator.client()
        XCTAssertThrowsError(try client.appendFile(bucket: bucket, key: emulator.key("x"), path: "/no/such/file")) { error in
            guard case OssError.invalidArgument(let name, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "body")
        }
    }

    func testNothingListeningIsANetworkError() throws {
        let closed = try OssClient(config: emulator.config(maxAttempts: 1, endpoint: "http://127.0.0.1:1"),
                                   credentials: TestEmulator.keys)
        XCTAssertThrowsError(try closed.head(bucket: bucket, key: "x")) { error in
            guard case OssError.network = error else { return XCTFail("\(error)") }
        }
    }

    func testSlowServerIsATimeout() throws {
        try emulator.fault("kind=delay&count=1&millis=1500")
        let impatient = try OssClient(config: emulator.config(maxAttempts: 1, readWriteTimeoutMs: 200),
                                      credentials: TestEmulator.keys)
        XCTAssertThrowsError(try impatient.head(bucket: bucket, key: "x")) { error in
            guard case OssError.timeout(let kind, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(kind, .readWrite)
        }
    }

    func testExhaustedRetriesReportTheLastStatus() throws {
        let client = try emulator.client()
        try emulator.fault("kind=fail&count=5&status=503")
        XCTAssertThrowsError(try client.append(bucket: bucket, key: emulator.key("x"), data: Data("x".utf8),
                                               options: AppendOptions(position: 0))) { error in
            XCTAssertEqual(self.service(error)?.status, 503)
            XCTAssertEqual(self.service(error)?.code, "ServiceUnavailable")
        }
    }

    func testEveryErrorIsOneEnum() throws {
        let client = try emulator.client()
        do {
            _ = try client.head(bucket: bucket, key: emulator.key("missing"))
            XCTFail("a missing object has no metadata")
        } catch let error as OssError {
            let described: String
            switch error {
            case let .service(failure):
                XCTAssertEqual(failure.kind, .noSuchKey)
                described = "HTTP \(failure.status) \(failure.code)"
            case .crcMismatch: described = "CRC"
            case .unverified: described = "landed, unverified"
            case .unsettled: described = "unsettled"
            case .downloadCrcMismatch: described = "download CRC"
            case .network: described = "network"
            case .timeout: described = "timeout"
            case .cancelled: described = "cancelled"
            case .invalidArgument: described = "invalid"
            case .credentials: described = "credentials"
            case .body: described = "body"
            case .protocolError: described = "protocol"
            case let .spool(kind, _): described = "spool \(kind)"
            case let .tls(kind, _): described = "tls \(kind)"
            case let .callback(callback, _): described = "callback \(callback)"
            }
            XCTAssertEqual(described, "HTTP 404 NoSuchKey")
        }
    }

    func testServiceFieldsByName() throws {
        let failure = ServiceFailure(kind: .positionNotEqualToLength, status: 409, code: "PositionNotEqualToLength",
                                     errorMessage: "m", requestId: "r", hostId: "h", ec: "0026-00000016",
                                     nextPosition: 5, serverCrc64: nil, position: 2)
        do {
            throw OssError.service(failure: failure)
        } catch OssError.service(let e) {
            XCTAssertEqual(e.code, "PositionNotEqualToLength")
            XCTAssertEqual(e.nextPosition, 5)
        }
        XCTAssertEqual(OssError.service(failure: failure).serviceFailure?.kind, .positionNotEqualToLength)
        XCTAssertNil(OssError.cancelled.serviceFailure)
    }

    func testEveryCaseCanBeWrittenQualified() {
        // `OssError.Protocol` could not be: Swift read it as the metatype.
        let errors: [OssError] = [OssError.protocolError(reason: "bad"), OssError.cancelled, OssError.body(reason: "x")]
        XCTAssertEqual(errors.count, 3)
        if case OssError.protocolError(let reason) = errors[0] {
            XCTAssertEqual(reason, "bad")
        } else {
            XCTFail("\(errors[0])")
        }
    }

    func testNegativeNumbersAreRefusedBeforeAnythingIsSent() throws {
        let client = try emulator.client()
        let key = emulator.key("negative")
        XCTAssertThrowsError(try client.append(bucket: bucket, key: key, data: Data("x".utf8), options: AppendOptions(position: -1), cancel: nil)) { error in
            guard case let OssError.invalidArgument(name, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "position")
        }
        XCTAssertThrowsError(try OssClient(config: emulator.config(readWriteTimeoutMs: -5), credentials: TestEmulator.keys))
        XCTAssertThrowsError(try client.head(bucket: bucket, key: key))
    }

    func testAnUnsettledAppendCarriesItsInFlightAppendToSettle() throws {
        let client = try emulator.client(maxAttempts: 1)
        let key = emulator.key("unsettled.log")
        let first = try client.append(bucket: bucket, key: key, data: Data("first,".utf8))
        // The append lands, its response is lost, and the HEAD that would settle it is refused.
        try emulator.fault("kind=drop-after-commit&count=1")
        try emulator.fault("kind=fail&method=HEAD&status=503&count=5")
        var stored: InFlight?
        XCTAssertThrowsError(try client.append(bucket: bucket, key: key, data: Data("second,".utf8),
                                               options: AppendOptions(position: 6, crc64: first.crc64))) { error in
            guard case let OssError.unsettled(inFlight, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(inFlight.position, 6)
            XCTAssertEqual(inFlight.length, 7)
            XCTAssertEqual(inFlight.crc64Before, first.crc64)
            XCTAssertTrue(reason.contains("may have landed"), reason)
            stored = inFlight
        }
        try emulator.clearFaults()
        let settlement = try client.settle(inFlight: XCTUnwrap(stored))
        guard case let .landed(result) = settlement else { return XCTFail("\(settlement)") }
        XCTAssertEqual(result.nextPosition, 13)
        XCTAssertTrue(result.reconciled)
        XCTAssertEqual(try client.get(bucket: bucket, key: key).data, Data("first,second,".utf8))
    }

    func testALostResponseIsSettledBeforeTheCallReturns() throws {
        let client = try emulator.client(maxAttempts: 1)
        let key = emulator.key("lost.log")
        try emulator.fault("kind=drop-after-commit&count=1")
        let result = try client.append(bucket: bucket, key: key, data: Data("once".utf8))
        XCTAssertTrue(result.reconciled)
        XCTAssertEqual(try client.get(bucket: bucket, key: key).data, Data("once".utf8))
    }
}
