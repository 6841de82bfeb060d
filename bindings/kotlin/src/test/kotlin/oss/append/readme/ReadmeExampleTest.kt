// The README's Kotlin example, verbatim between the markers below, compiled and run against the
// emulator. The app objects it uses (BuildConfig, Log, lifecycleScope, progressBar, …) are stubs
// here; a test checks that the README's copy and this one are the same text.
package oss.append.readme

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
import org.junit.jupiter.api.Assertions.assertEquals
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
                val result = log.append("app started\n".toByteArray())
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

    @Test
    fun theReadmeHoldsThisExample() {
        val readme = File("../../README.md").readText()
        val android = readme.substring(readme.indexOf("\n## Android\n"))
        val block = android.substringAfter("```kotlin\n").substringBefore("\n```\n")
        val expected = block.removePrefix("import oss.append.*\n\n")
        val source = File("src/test/kotlin/oss/append/readme/ReadmeExampleTest.kt").readText()
        val copy = source.substringAfter("// README begin\n").substringBefore("        // README end")
        val here = copy.lines().joinToString("\n") { it.removePrefix("        ") }.trimEnd()
        assertTrue(block.startsWith("import oss.append.*\n\n"), "the README's example starts with its import")
        assertEquals(expected.trimEnd(), here, "README.md's Kotlin example and this test's copy differ")
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
