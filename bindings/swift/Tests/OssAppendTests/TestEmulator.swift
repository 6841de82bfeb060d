import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OssAppend

/// The oss-emulator binary (path in OSS_EMULATOR), started once for the test run on a free port,
/// with long-lived keys, two STS key sets and the admin endpoint for fault injection.
final class TestEmulator {
    static let bucket = "mobile-tests"
    static let region = "cn-hangzhou"
    static let keys = Credentials(accessKeyId: "test-ak", accessKeySecret: "test-sk")
    static let stsFirst = Credentials(accessKeyId: "sts-ak-1", accessKeySecret: "sts-sk-1", securityToken: "sts-token-1")
    static let stsSecond = Credentials(accessKeyId: "sts-ak-2", accessKeySecret: "sts-sk-2", securityToken: "sts-token-2")

    static let shared = TestEmulator()

    let endpoint: String
    private let process = Process()
    private var counter = 0
    private let lock = NSLock()

    private init() {
        let binary = ProcessInfo.processInfo.environment["OSS_EMULATOR"] ?? "../../target/debug/oss-emulator"
        process.executableURL = URL(fileURLWithPath: binary)
        func credentials(_ c: Credentials) -> String {
            [c.accessKeyId, c.accessKeySecret, c.securityToken].compactMap { $0 }.joined(separator: ":")
        }
        process.arguments = [
            "--listen", "127.0.0.1:0", "--bucket", Self.bucket, "--bucket", "my-bucket", "--admin",
            "--credentials", credentials(Self.keys),
            "--credentials", credentials(Self.stsFirst),
            "--credentials", credentials(Self.stsSecond),
        ]
        let output = Pipe()
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            fatalError("cannot start oss-emulator (\(binary)): \(error)")
        }
        // The first line is "listening on http://127.0.0.1:PORT".
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { fatalError("oss-emulator exited before listening") }
            line.append(chunk)
        }
        let first = String(decoding: line, as: UTF8.self).split(separator: "\n")[0]
        endpoint = String(first.dropFirst("listening on ".count))
        atexit { TestEmulator.shared.process.terminate() }
    }

    /// A key no other test uses.
    func key(_ name: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        counter += 1
        return "swift/\(counter)/\(name)"
    }

    func config(maxAttempts: Int32? = nil, readWriteTimeoutMs: Int64? = nil, endpoint: String? = nil) -> ClientConfig {
        ClientConfig(
            endpoint: endpoint ?? self.endpoint,
            region: Self.region,
            readWriteTimeoutMs: readWriteTimeoutMs,
            maxAttempts: maxAttempts,
            retryBaseDelayMs: 10
        )
    }

    func client(_ credentials: Credentials = TestEmulator.keys, maxAttempts: Int32? = nil) throws -> OssClient {
        try OssClient(config: config(maxAttempts: maxAttempts), credentials: credentials)
    }

    /// Arms a fault, e.g. `fault("kind=fail&count=1&status=503")`.
    func fault(_ query: String) throws {
        try admin("POST", "faults?\(query)")
    }

    func clearFaults() throws {
        try admin("DELETE", "faults")
    }

    private func admin(_ method: String, _ path: String) throws {
        var request = URLRequest(url: URL(string: "\(endpoint)/-/emulator/\(path)")!)
        request.httpMethod = method
        let outcome = Outcome()
        URLSession.shared.dataTask(with: request) { _, response, error in
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if error != nil || status != 200 {
                outcome.failure = "\(method) \(path): \(status) \(String(describing: error))"
            }
            outcome.done.signal()
        }.resume()
        outcome.done.wait()
        if let failure = outcome.failure { throw AdminError(message: failure) }
    }

    /// Written by the request's completion handler before it signals `done`.
    private final class Outcome: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        var failure: String?
    }

    struct AdminError: Error { let message: String }
}

/// A second emulator serving HTTPS, with a certificate from an authority made at its start.
final class TlsEmulator {
    static let shared = TlsEmulator()

    let endpoint: String
    /// The authority's certificate (PEM), for the client to trust.
    let caPem: Data
    private let process = Process()

    private init() {
        let binary = ProcessInfo.processInfo.environment["OSS_EMULATOR"] ?? "../../target/debug/oss-emulator"
        let ca = FileManager.default.temporaryDirectory.appendingPathComponent("oss-append-swift-ca-\(UUID().uuidString).pem")
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--listen", "127.0.0.1:0", "--bucket", TestEmulator.bucket,
            "--credentials", "\(TestEmulator.keys.accessKeyId):\(TestEmulator.keys.accessKeySecret)",
            "--tls-generate", ca.path,
        ]
        let output = Pipe()
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            fatalError("cannot start oss-emulator (\(binary)): \(error)")
        }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { fatalError("oss-emulator exited before listening") }
            line.append(chunk)
        }
        let first = String(decoding: line, as: UTF8.self).split(separator: "\n")[0]
        endpoint = String(first.dropFirst("listening on ".count))
        caPem = (try? Data(contentsOf: ca)) ?? Data()
        atexit { TlsEmulator.shared.process.terminate() }
    }
}
