package oss.append

import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/**
 * The oss-emulator binary (path in OSS_EMULATOR), started once for the test run on a free port,
 * with long-lived keys, two STS key sets and the admin endpoint for fault injection.
 */
object TestEmulator {
    const val BUCKET = "mobile-tests"
    const val REGION = "cn-hangzhou"
    val KEYS = TestSettings.KEYS
    val STS_FIRST = Credentials("sts-ak-1", "sts-sk-1", securityToken = "sts-token-1")
    val STS_SECOND = Credentials("sts-ak-2", "sts-sk-2", securityToken = "sts-token-2")

    private val process: Process
    val endpoint: String
    private val http = HttpClient.newHttpClient()
    private val keys = AtomicInteger()

    init {
        val binary = System.getenv("OSS_EMULATOR")
            ?: File("../../target/debug/oss-emulator").absolutePath
        process = ProcessBuilder(
            binary, "--listen", "127.0.0.1:0", "--bucket", BUCKET, "--bucket", "my-bucket", "--admin",
            "--credentials", "${KEYS.accessKeyId}:${KEYS.accessKeySecret}",
            "--credentials", "${STS_FIRST.accessKeyId}:${STS_FIRST.accessKeySecret}:${STS_FIRST.securityToken}",
            "--credentials", "${STS_SECOND.accessKeyId}:${STS_SECOND.accessKeySecret}:${STS_SECOND.securityToken}",
        ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val firstLine = BufferedReader(InputStreamReader(process.inputStream)).readLine()
            ?: error("oss-emulator ($binary) exited before listening")
        endpoint = firstLine.removePrefix("listening on ").trim()
        Runtime.getRuntime().addShutdownHook(Thread { process.destroy(); process.waitFor(5, TimeUnit.SECONDS) })
    }

    /** A key no other test uses. */
    fun key(name: String) = "kotlin/${keys.incrementAndGet()}/$name"

    fun config(maxAttempts: Int? = null, readWriteTimeoutMs: Long? = null, endpoint: String = this.endpoint) =
        configFor(endpoint, maxAttempts, readWriteTimeoutMs)

    fun configFor(endpoint: String, maxAttempts: Int? = null, readWriteTimeoutMs: Long? = null) =
        TestSettings.configFor(endpoint, maxAttempts, readWriteTimeoutMs)

    fun client(credentials: Credentials = KEYS, maxAttempts: Int? = null) =
        OssClient(config(maxAttempts = maxAttempts), credentials)

    /** Arms a fault, e.g. `fault("kind=fail&count=1&status=503")`. */
    fun fault(query: String) {
        val request = HttpRequest.newBuilder(URI.create("$endpoint/-/emulator/faults?$query"))
            .POST(HttpRequest.BodyPublishers.noBody()).build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() == 200) { "arming $query: ${response.statusCode()} ${response.body()}" }
    }

    fun clearFaults() {
        val request = HttpRequest.newBuilder(URI.create("$endpoint/-/emulator/faults")).DELETE().build()
        http.send(request, HttpResponse.BodyHandlers.discarding())
    }
}

/** What a client of the test emulator needs, without starting an emulator (for child processes). */
object TestSettings {
    val KEYS = Credentials(accessKeyId = "test-ak", accessKeySecret = "test-sk")

    fun configFor(endpoint: String, maxAttempts: Int? = null, readWriteTimeoutMs: Long? = null) =
        ClientConfig(
            endpoint = endpoint,
            region = "cn-hangzhou",
            maxAttempts = maxAttempts,
            retryBaseDelayMs = 10L,
            readWriteTimeoutMs = readWriteTimeoutMs,
        )
}

/** A second emulator serving HTTPS, with a certificate from an authority made at its start. */
object TlsEmulator {
    private val process: Process
    val endpoint: String
    /** The authority's certificate (PEM), for the client to trust. */
    val caPem: ByteArray

    init {
        val binary = System.getenv("OSS_EMULATOR") ?: File("../../target/debug/oss-emulator").absolutePath
        val ca = File.createTempFile("oss-append-kotlin-ca", ".pem")
        process = ProcessBuilder(
            binary, "--listen", "127.0.0.1:0", "--bucket", TestEmulator.BUCKET,
            "--credentials", "${TestSettings.KEYS.accessKeyId}:${TestSettings.KEYS.accessKeySecret}",
            "--tls-generate", ca.path,
        ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val firstLine = BufferedReader(InputStreamReader(process.inputStream)).readLine()
            ?: error("oss-emulator ($binary) exited before listening")
        endpoint = firstLine.removePrefix("listening on ").trim()
        caPem = ca.readBytes()
        Runtime.getRuntime().addShutdownHook(Thread { process.destroy(); process.waitFor(5, TimeUnit.SECONDS) })
    }
}
