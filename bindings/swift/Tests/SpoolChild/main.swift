// The other process of SpoolTests.testASpoolWrittenByOneProcessIsSentByTheNext: writes records to a
// spool while the emulator refuses every append, shuts it down and exits, leaving them in the journal.
// Arguments: spool directory, emulator endpoint, bucket, object key, record count.
import Foundation
import OssAppend

let arguments = CommandLine.arguments
guard arguments.count == 6, let count = Int(arguments[5]) else {
    FileHandle.standardError.write(Data("usage: SpoolChild DIR ENDPOINT BUCKET KEY COUNT\n".utf8))
    exit(2)
}
let (dir, endpoint, bucket, key) = (arguments[1], arguments[2], arguments[3], arguments[4])
do {
    let client = try OssClient(
        config: ClientConfig(endpoint: endpoint, region: "cn-hangzhou", maxAttempts: 1, retryBaseDelayMs: 10),
        credentials: Credentials(accessKeyId: "test-ak", accessKeySecret: "test-sk")
    )
    let spool = try Spool.open(client: client, dir: dir,
                               config: SpoolConfig(bucket: bucket, keyTemplate: key, sync: .everyWrite))
    for i in 0..<count {
        _ = try spool.writeWithMark(data: Data("record \(i)\n".utf8), mark: Data([UInt8(i)]))
    }
    try spool.shutdown()
    print("wrote \(count)")
} catch {
    FileHandle.standardError.write(Data("SpoolChild: \(error)\n".utf8))
    exit(1)
}
