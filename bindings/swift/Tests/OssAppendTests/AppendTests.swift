import Foundation
import OssAppend
import XCTest

/// Appends, reads and writes: how an app uses the client.
final class AppendTests: XCTestCase {
    let emulator = TestEmulator.shared
    let bucket = TestEmulator.bucket

    func testAppendsTrackPositionAndCrc() throws {
        let client = try emulator.client()
        let key = emulator.key("log.txt")
        // Without a position the client finds the object's end (0 for a new object).
        let first = try client.append(bucket: bucket, key: key, data: Data("hello ".utf8))
        XCTAssertEqual(first.position, 0)
        XCTAssertEqual(first.nextPosition, 6)
        XCTAssertFalse(first.requestId.isEmpty)
        // With the position and CRC so far, no HEAD request is needed.
        let second = try client.append(
            bucket: bucket, key: key, data: Data("world".utf8),
            options: AppendOptions(position: first.nextPosition, crc64: first.crc64))
        XCTAssertEqual(second.nextPosition, 11)
        XCTAssertNotEqual(first.crc64, second.crc64)
        XCTAssertFalse(second.reconciled)

        let meta = try client.head(bucket: bucket, key: key)
        XCTAssertEqual(meta.objectType, .appendable)
        let modified = try XCTUnwrap(meta.lastModified, "HEAD has Last-Modified")
        XCTAssertLessThan(abs(modified.timeIntervalSinceNow), 300)
        XCTAssertEqual(meta.nextAppendPosition, 11)
        XCTAssertEqual(meta.crc64, second.crc64)
        XCTAssertEqual(String(decoding: try client.get(bucket: bucket, key: key).data, as: UTF8.self), "hello world")
    }

    func testAppenderCarriesPositionFromOneAppendToTheNext() throws {
        let client = try emulator.client()
        let key = emulator.key("appender.log")
        let headers = ObjectHeaders(contentType: "text/plain", metadata: ["source": "swift"])
        let log = try client.appender(bucket: bucket, key: key, options: AppendOptions(headers: headers))
        XCTAssertNil(log.nextPosition())
        for line in ["one\n", "two\n", "three\n"] {
            _ = try log.append(data: Data(line.utf8))
        }
        XCTAssertEqual(log.nextPosition(), 14)
        let meta = try client.head(bucket: bucket, key: key)
        XCTAssertEqual(log.crc64(), meta.crc64)
        XCTAssertEqual(meta.contentType, "text/plain")
        XCTAssertEqual(meta.metadata["source"], "swift")
        XCTAssertEqual(String(decoding: try client.get(bucket: bucket, key: key).data, as: UTF8.self), "one\ntwo\nthree\n")
    }

    func testAppendFileStreamsTheFile() throws {
        let client = try emulator.client()
        let key = emulator.key("file.bin")
        let bytes = Data((0..<(3 * 1024 * 1024 + 17)).map { UInt8(truncatingIfNeeded: $0 * 31 % 251) })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("oss-append-\(UUID()).bin")
        try bytes.write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        _ = try client.append(bucket: bucket, key: key, data: Data("header".utf8))
        let result = try client.appendFile(bucket: bucket, key: key, path: path.path)
        XCTAssertEqual(result.position, 6)
        XCTAssertEqual(result.nextPosition, 6 + Int64(bytes.count))
        XCTAssertEqual(try client.get(bucket: bucket, key: key, range: .from(first: 6)).data, bytes)
    }

    func testPutGetRangeAndDelete() throws {
        let client = try emulator.client()
        let key = emulator.key("normal.txt")
        let put = try client.put(bucket: bucket, key: key, data: Data("0123456789".utf8),
                                 headers: ObjectHeaders(contentType: "text/plain"))
        XCTAssertFalse(put.requestId.isEmpty)
        XCTAssertEqual(try client.head(bucket: bucket, key: key).objectType, .normal)
        XCTAssertEqual(try client.get(bucket: bucket, key: key, range: .span(first: 3, last: 5)).data, Data("345".utf8))
        XCTAssertFalse(try client.delete(bucket: bucket, key: key).isEmpty)
        XCTAssertThrowsError(try client.head(bucket: bucket, key: key)) { error in
            guard case OssError.service(let failure) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(failure.status, 404)
        }
    }

    func testV1SignatureAndStsCredentialsWork() throws {
        let base = emulator.config()
        let config = ClientConfig(endpoint: base.endpoint, region: base.region, signatureVersion: .v1)
        let client = try OssClient(config: config, credentials: TestEmulator.stsFirst)
        XCTAssertEqual(try client.append(bucket: bucket, key: emulator.key("v1.txt"), data: Data("v1".utf8)).nextPosition, 2)
    }

    func testLostResponseIsReconciledNotDuplicated() throws {
        let client = try emulator.client()
        let key = emulator.key("lost.log")
        _ = try client.append(bucket: bucket, key: key, data: Data("a".utf8))
        // The append lands, then its response is lost: the retry proves it by length and CRC.
        try emulator.fault("kind=drop-after-commit&count=1")
        let result = try client.append(bucket: bucket, key: key, data: Data("b".utf8))
        XCTAssertTrue(result.reconciled)
        XCTAssertEqual(result.nextPosition, 2)
        XCTAssertEqual(String(decoding: try client.get(bucket: bucket, key: key).data, as: UTF8.self), "ab")
    }

    func testServiceErrorsAreRetried() throws {
        let client = try emulator.client()
        try emulator.fault("kind=fail&count=2&status=503")
        let result = try client.append(bucket: bucket, key: emulator.key("retried.log"), data: Data("retry".utf8),
                                       options: AppendOptions(position: 0))
        XCTAssertEqual(result.nextPosition, 5)
    }
}
