import Foundation
import OssAppend
import XCTest

/// Stands in for the app's call to its token server: each fetch returns the next token.
final class TokenServer: CredentialsProvider, @unchecked Sendable {
    private let tokens: [Credentials]
    private let lock = NSLock()
    private var _fetches = 0

    init(_ tokens: [Credentials]) {
        self.tokens = tokens
    }

    var fetches: Int { lock.lock(); defer { lock.unlock() }; return _fetches }

    func credentials() throws -> Credentials {
        lock.lock()
        defer { lock.unlock() }
        let token = tokens[min(_fetches, tokens.count - 1)]
        _fetches += 1
        return token
    }
}

/// A provider that fails the way an app's might.
final class FailingProvider: CredentialsProvider, @unchecked Sendable {
    struct Offline: Error {}
    let error: Error
    init(_ error: Error) { self.error = error }
    func credentials() throws -> Credentials { throw error }
}

/// STS tokens from the app's own server, through a CredentialsProvider.
final class CredentialsTests: XCTestCase {
    let emulator = TestEmulator.shared
    let bucket = TestEmulator.bucket

    func expiring(_ c: Credentials, in seconds: TimeInterval) -> Credentials {
        Credentials(accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret,
                    securityToken: c.securityToken, expiration: Date().addingTimeInterval(seconds))
    }

    func testProviderIsAskedAgainBeforeTheTokenExpires() throws {
        let server = TokenServer([
            // Expires within the 5-minute margin: used once, then fetched again.
            expiring(TestEmulator.stsFirst, in: 60),
            expiring(TestEmulator.stsSecond, in: 3600),
        ])
        let client = try OssClient.withCredentialsProvider(config: emulator.config(), provider: server)
        let key = emulator.key("sts.log")
        var position: Int64 = 0
        var crc: Int64 = 0
        for _ in 0..<3 {
            let result = try client.append(bucket: bucket, key: key, data: Data("tick\n".utf8),
                                           options: AppendOptions(position: position, crc64: crc))
            position = result.nextPosition
            crc = result.crc64
        }
        XCTAssertEqual(position, 15)
        XCTAssertEqual(server.fetches, 2, "one fetch for the short-lived token, one for its successor")
    }

    func testTokenWithoutExpirationIsFetchedOnce() throws {
        let server = TokenServer([TestEmulator.stsSecond])
        let client = try OssClient.withCredentialsProvider(config: emulator.config(), provider: server)
        let log = try client.appender(bucket: bucket, key: emulator.key("once.log"))
        for _ in 0..<3 {
            _ = try log.append(data: Data("x".utf8))
        }
        XCTAssertEqual(server.fetches, 1)
    }

    func testProviderThrowingOssErrorFailsTheCall() throws {
        let provider = FailingProvider(OssError.credentials(reason: "token server said 401"))
        let client = try OssClient.withCredentialsProvider(config: emulator.config(), provider: provider)
        XCTAssertThrowsError(try client.head(bucket: bucket, key: "x")) { error in
            guard case OssError.credentials(let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, "token server said 401")
        }
    }

    func testProviderThrowingAnythingElseFailsTheCallWithoutCrashing() throws {
        let provider = FailingProvider(FailingProvider.Offline())
        let client = try OssClient.withCredentialsProvider(config: emulator.config(), provider: provider)
        XCTAssertThrowsError(try client.head(bucket: bucket, key: "x")) { error in
            guard case OssError.credentials(let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("Offline"), reason)
        }
    }

    func testStsAnswersBecomeCredentials() throws {
        let credentials = try credentialsFromSts(
            accessKeyId: "sts-ak-1", accessKeySecret: "sts-sk-1", securityToken: "sts-token-1",
            expiration: "2026-11-30T12:00:00Z")
        XCTAssertEqual(credentials.expiration, Date(timeIntervalSince1970: 1_796_040_000))
        XCTAssertThrowsError(try credentialsFromSts(accessKeyId: "a", accessKeySecret: "b", securityToken: "c", expiration: "tomorrow")) { error in
            guard case OssError.credentials = error else { return XCTFail("\(error)") }
        }
    }

    func testCredentialsFromTheAppsTokenServer() throws {
        // The emulator answers GET /-/emulator/sts as an app's token server does.
        let url = "\(emulator.endpoint)/-/emulator/sts"
        let client = try OssClient.withCredentialsUrl(config: emulator.config(), url: url,
                                                      headers: ["Authorization": "Bearer app-token"])
        let key = emulator.key("sts-url.log")
        XCTAssertEqual(try client.append(bucket: bucket, key: key, data: Data("abc".utf8)).nextPosition, 3)
        XCTAssertEqual(try client.appender(bucket: bucket, key: key).append(data: Data("def".utf8)).nextPosition, 6)

        let missing = try OssClient.withCredentialsUrl(config: emulator.config(), url: "\(emulator.endpoint)/-/emulator/none")
        XCTAssertThrowsError(try missing.head(bucket: bucket, key: key)) { error in
            guard case OssError.credentials(let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("answered HTTP 404"), reason)
        }
        XCTAssertThrowsError(try OssClient.withCredentialsUrl(config: emulator.config(), url: "ftp://app/sts")) { error in
            guard case OssError.invalidArgument(let name, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "credentials URL")
        }
    }
}
