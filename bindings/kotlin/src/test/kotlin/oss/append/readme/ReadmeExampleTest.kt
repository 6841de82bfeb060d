// The README's Kotlin example, verbatim between the markers below (its imports, then the top-level
// `appendOnce`, then the statements in `readmeExample`), compiled and run against the emulator. The
// app objects it uses (BuildConfig, Log, lifecycleScope, progressBar, …) are stubs here; a test
// checks that the README's copy and this one are the same text, and another drives `appendOnce`
// through a lost response and a dropped append that are left unsettled.
package oss.append.readme

import kotlinx.coroutines.delay
import oss.append.*

import java.io.File
import java.util.Collections
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.joinAll
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** An app's build settings: the endpoint and its token server (here the emulator's). */
object BuildConfig {
    val OSS_ENDPOINT = TestEmulator.endpoint
    val STS_URL = "${TestEmulator.endpoint}/-/emulator/sts"
}

/** android.util.Log, recording. */
object Log {
    val lines: MutableList<String> = Collections.synchronizedList(mutableListOf())
    fun i(tag: String, message: String) { lines += "I/$tag: $message" }
    fun w(tag: String, message: String) { lines += "W/$tag: $message" }
}

/** A ProgressBar: post runs the action (there is no UI thread here). */
class ProgressBar {
    @Volatile var progress = 0
    fun post(action: () -> Unit) = action()
}

val sessionToken = "app-session"
val progressBar = ProgressBar()
@Volatile var userPressedStop = false

// README top begin
// Appends `data` once. An append whose outcome is unknown (OssException.Unsettled: its response was
// lost and the service could not be asked) is settled before anything else is sent: sending the
// bytes again after they landed would append them twice, and the Appender refuses other bytes after
// bytes that did not land.
suspend fun Appender.appendOnce(data: ByteArray): AppendResult {
    while (true) {
        try {
            return append(data)                      // landed (perhaps proven after a lost response)
        } catch (e: OssException.Unsettled) {
            while (true) {
                val settlement = try {
                    settle()
                } catch (stillUnknown: OssException.Unsettled) {
                    delay(1_000)                     // the service cannot be asked yet: never send again before
                    continue
                }
                if (settlement is Settlement.Landed) return settlement.result  // in the object, once: go on
                break                                // did not land: send the same bytes again
            }
        }
    }
}
// README top end

class ReadmeExampleTest {
    private val lifecycleScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val file = File.createTempFile("clip", ".mp4").apply {
        deleteOnExit()
        writeBytes(ByteArray(3 * 1024 * 1024) { (it % 251).toByte() })
    }

    private fun readmeExample() {
        // README begin
        // STS credentials from the app's own token server (a GET answered with AccessKeyId,
        // AccessKeySecret, SecurityToken and Expiration), fetched again 5 minutes before they expire.
        val client = OssClient.withCredentialsUrl(
            ClientConfig(endpoint = BuildConfig.OSS_ENDPOINT, region = "cn-hangzhou"),
            BuildConfig.STS_URL,
            mapOf("Authorization" to "Bearer $sessionToken"),
        )

        val log = client.appender("my-bucket", "logs/device-42.log")
        lifecycleScope.launch {
            try {
                val result = log.appendOnce("app started\n".toByteArray())
                Log.i("oss", "next position ${result.nextPosition}, crc64 ${result.crc64}")
            } catch (e: OssException.Service) {
                Log.w("oss", "HTTP ${e.status} ${e.code} EC ${e.ec} request ${e.requestId}: $e")
            }
        }

        // A file, streamed off the main thread, with progress; returning false cancels, and so does
        // cancelling the coroutine.
        val upload = lifecycleScope.launch {
            client.appendFile("my-bucket", "videos/clip.mp4", file, progress = ProgressListener { sent, total ->
                progressBar.post { progressBar.progress = (sent * 100 / total).toInt() }
                !userPressedStop
            })
        }
        // README end
    }

    @Test
    fun theReadmeExampleRunsAsWritten() {
        readmeExample()
        runBlocking { lifecycleScope.coroutineContext[Job]!!.children.toList().joinAll() }
        assertEquals(listOf("I/oss: next position 12, crc64 ${crc64Of("app started\n".toByteArray())}"), Log.lines)
        val keys = TestEmulator.client()
        assertEquals(file.length(), keys.headBlocking("my-bucket", "videos/clip.mp4").contentLength)
        assertEquals(100, progressBar.progress)
    }

    @AfterEach
    fun disarm() = TestEmulator.clearFaults()

    /** The README's `appendOnce` settles an unsettled append, then goes on or sends it again. */
    @Test
    fun appendOnceSettlesBeforeSendingAgain() = runBlocking {
        // One attempt a request: a refused HEAD leaves an append whose response was lost unsettled.
        val client = TestEmulator.client(maxAttempts = 1)
        val key = TestEmulator.key("append-once.log")
        val log = client.appender(TestEmulator.BUCKET, key)
        assertEquals(0L, log.appendOnce("one,".toByteArray()).position)
        // It lands, its response is lost, and the HEADs that would settle it are refused twice: the
        // append throws Unsettled, appendOnce's first settle too, its second proves it landed.
        TestEmulator.fault("kind=drop-after-commit&count=1")
        TestEmulator.fault("kind=fail&method=HEAD&status=503&count=2")
        val landed = log.appendOnce("two,".toByteArray())
        assertEquals(4L, landed.position)
        assertTrue(landed.reconciled, "settled as landed, not sent again: $landed")
        // It is dropped before its commit, and the HEADs are refused: settled as not landed, sent again.
        TestEmulator.fault("kind=drop-before-commit&count=1")
        TestEmulator.fault("kind=fail&method=HEAD&status=503&count=2")
        val resent = log.appendOnce("three".toByteArray())
        assertEquals(8L, resent.position)
        assertFalse(resent.reconciled, "sent again: $resent")
        assertEquals("one,two,three", String(client.getBlocking(TestEmulator.BUCKET, key).data))
    }

    @Test
    fun theReadmeHoldsThisExample() {
        val readme = File("../../README.md").readText()
        val android = readme.substring(readme.indexOf("\n## Android\n"))
        val block = android.substringAfter("```kotlin\n").substringBefore("\n```\n")
        val imports = "import kotlinx.coroutines.delay\nimport oss.append.*\n\n"
        val source = File("src/test/kotlin/oss/append/readme/ReadmeExampleTest.kt").readText()
        val top = source.substringAfter("// README top begin\n").substringBefore("// README top end").trimEnd()
        val copy = source.substringAfter("// README begin\n").substringBefore("        // README end")
        val body = copy.lines().joinToString("\n") { it.removePrefix("        ") }.trimEnd()
        assertTrue(block.startsWith(imports), "the README's example starts with its imports")
        assertEquals("$top\n\n$body", block.removePrefix(imports).trimEnd(), "README.md's Kotlin example and this test's copy differ")
    }
}

/** The CRC-64 of `bytes`, as the library gives it (its 64 bits in a Long). */
private fun crc64Of(bytes: ByteArray): Long {
    var crc = -1L
    for (b in bytes) {
        crc = crc xor (b.toLong() and 0xff)
        repeat(8) { crc = if (crc and 1L != 0L) (crc ushr 1) xor -0x3693a86a2878f0beL else crc ushr 1 }
    }
    return crc.inv()
}
