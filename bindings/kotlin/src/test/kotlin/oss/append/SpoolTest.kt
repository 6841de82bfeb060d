package oss.append

import java.io.File
import java.nio.file.Files
import java.util.Collections
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The spool from Kotlin: write, close, reopen in another process, flush; events in order. */
class SpoolTest {
    private val bucket = TestEmulator.BUCKET

    @AfterEach
    fun disarm() = TestEmulator.clearFaults()

    private fun tempDir(): String = Files.createTempDirectory("oss-append-kotlin-spool").toString()

    /** Every event, in the order the listener heard them. */
    class Recorder : SpoolListener {
        val events: MutableList<SpoolEvent> = Collections.synchronizedList(mutableListOf())
        override fun onEvent(event: SpoolEvent) {
            events.add(event)
        }
    }

    @Test
    fun writesReachTheObjectOnceAndTheListenerHearsEachBatchInOrder() {
        val key = TestEmulator.key("spool.log")
        val recorder = Recorder()
        val spool = Spool.open(
            TestEmulator.client(),
            tempDir(),
            SpoolConfig(bucket = bucket, keyTemplate = key, batchBytes = 256L, batchAgeMs = 20L),
            recorder,
        )
        val lines = (0 until 50).map { "line $it\n" }
        lines.forEach { spool.write(it.toByteArray()) }
        runBlocking { spool.flush(30_000L) }
        val expected = lines.joinToString("")
        assertEquals(expected, String(TestEmulator.client().getBlocking(bucket, key).data))
        val status = spool.status()
        assertEquals(expected.length.toLong(), status.appendedBytes)
        assertEquals(0L, status.pendingBytes)
        assertEquals(key, status.`object`)
        var next = 0L
        val appended = recorder.events.filterIsInstance<SpoolEvent.Appended>()
        assertTrue(appended.size > 1, "several batches: ${recorder.events}")
        for (event in appended) {
            assertEquals(next, event.position, "batches are told in order")
            next += event.length
        }
        assertEquals(expected.length.toLong(), next)
        spool.shutdown()
        val error = assertThrows<OssException.Spool> { spool.write("x".toByteArray()) }
        assertEquals(SpoolErrorKind.CLOSED, error.kind)
        assertTrue(error.toString().contains("closed"), error.toString())
    }

    @Test
    fun aListenerThatThrowsDoesNotStopTheSpool() {
        val key = TestEmulator.key("throwing-listener.log")
        val heard = Collections.synchronizedList(mutableListOf<SpoolEvent>())
        val listener = object : SpoolListener {
            override fun onEvent(event: SpoolEvent) {
                heard.add(event)
                throw IllegalArgumentException("listener bug")
            }
        }
        val spool = Spool.open(
            TestEmulator.client(),
            tempDir(),
            SpoolConfig(bucket = bucket, keyTemplate = key, batchBytes = 64L, batchAgeMs = 10L),
            listener,
        )
        val lines = (0 until 20).map { "line $it\n" }
        lines.forEach { spool.write(it.toByteArray()) }
        spool.flushBlocking(30_000L)
        assertEquals(lines.joinToString(""), String(TestEmulator.client().getBlocking(bucket, key).data))
        assertTrue(heard.filterIsInstance<SpoolEvent.Appended>().size > 1, "$heard")
        assertEquals(
            "the spool listener threw: java.lang.IllegalArgumentException: listener bug",
            spool.status().listenerError,
        )
        spool.shutdown()
    }

    @Test
    fun aSpoolWrittenByOneProcessIsSentByTheNext() {
        val dir = tempDir()
        val key = TestEmulator.key("two-processes.log")
        // The other process writes while the service refuses every append: all stays in its journal.
        TestEmulator.fault("kind=fail&method=POST&status=503&count=1000")
        val java = File(System.getProperty("java.home"), "bin/java").path
        val child = ProcessBuilder(
            java, "-cp", System.getProperty("java.class.path"),
            "-Djna.library.path=${System.getProperty("jna.library.path")}",
            "oss.append.SpoolChild", dir, TestEmulator.endpoint, key, "20",
        ).redirectErrorStream(true).start()
        val output = child.inputStream.bufferedReader().readText()
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child process ended")
        assertEquals(0, child.exitValue(), output)
        TestEmulator.clearFaults()
        // This process opens the same directory and sends what the other one left.
        val spool = Spool.open(TestEmulator.client(), dir, SpoolConfig(bucket = bucket, keyTemplate = key))
        assertEquals(19, spool.lastMark()!!.single().toInt())
        spool.flushBlocking(30_000L)
        val expected = (0 until 20).joinToString("") { "record $it\n" }
        assertEquals(expected, String(TestEmulator.client().getBlocking(bucket, key).data))
        spool.close()
    }

    /** `write` returns the stream offset after its bytes: every byte the directory ever took. */
    @Test
    fun writeReturnsTheStreamOffsetKeptAcrossOpens() {
        val dir = tempDir()
        val config = SpoolConfig(bucket = bucket, keyTemplate = TestEmulator.key("offsets.log"))
        Spool.open(TestEmulator.client(), dir, config).use { spool ->
            assertEquals(5L, spool.write("12345".toByteArray()))
            assertEquals(8L, spool.writeWithMark("678".toByteArray(), byteArrayOf(7)))
            assertEquals(8L, spool.write(ByteArray(0)), "nothing written: the offset as it is")
        }
        Spool.open(TestEmulator.client(), dir, config).use { spool ->
            assertEquals(9L, spool.write("9".toByteArray()), "the stream goes on after a reopen")
            spool.flushBlocking(30_000L)
        }
        assertEquals("123456789", String(TestEmulator.client().getBlocking(bucket, config.keyTemplate).data))
    }

    /**
     * Kotlin's `close()` (and `use {}`) and `shutdown()` leave the same error behind: every later
     * call but `status()` and `lastMark()` throws `OssException.Spool` with `CLOSED`; a second call
     * does nothing; the directory is released at once.
     */
    @Test
    fun closeAndShutdownLeaveTheSameErrorBehind() {
        val stops = mapOf<String, (Spool) -> Unit>("close" to { it.close() }, "shutdown" to { it.shutdown() })
        for ((name, stop) in stops) {
            val dir = tempDir()
            val config = SpoolConfig(bucket = bucket, keyTemplate = TestEmulator.key("closed-by-$name.log"))
            val spool = Spool.open(TestEmulator.client(), dir, config)
            spool.writeWithMark("12345678".toByteArray(), byteArrayOf(7))
            stop(spool)
            stop(spool)
            val calls = mapOf<String, () -> Unit>(
                "write" to { spool.write("x".toByteArray()) },
                "writeWithMark" to { spool.writeWithMark("x".toByteArray(), byteArrayOf(1)) },
                "flushBlocking" to { spool.flushBlocking(1_000L) },
                "flush" to { runBlocking { spool.flush(1_000L) } },
            )
            for ((call, run) in calls) {
                val error = assertThrows<OssException.Spool>("$call after $name") { run() }
                assertEquals(SpoolErrorKind.CLOSED, error.kind, "$call after $name")
                assertTrue(error.toString().contains("closed"), error.toString())
            }
            assertEquals(7, spool.lastMark()!!.single().toInt(), "lastMark after $name")
            val status = spool.status()
            assertEquals(8L, status.pendingBytes + status.appendedBytes, "status after $name: $status")
            // The directory is free at once, and what was not sent is still there.
            Spool.open(TestEmulator.client(), dir, config).use { again ->
                assertEquals(7, again.lastMark()!!.single().toInt())
                again.flushBlocking(30_000L)
            }
            assertEquals("12345678", String(TestEmulator.client().getBlocking(bucket, config.keyTemplate).data))
        }
    }

    @Test
    fun aSecondOpenOfTheSameDirectoryIsRefused() {
        val dir = tempDir()
        val config = SpoolConfig(bucket = bucket, keyTemplate = TestEmulator.key("locked.log"))
        val spool = Spool.open(TestEmulator.client(), dir, config)
        val error = assertThrows<OssException.Spool> { Spool.open(TestEmulator.client(), dir, config) }
        assertEquals(SpoolErrorKind.LOCKED, error.kind)
        assertTrue(error.toString().contains("in use"), error.toString())
        // Kotlin's close() releases the directory: the next open succeeds.
        spool.close()
        Spool.open(TestEmulator.client(), dir, config).use { it.shutdown() }
    }
}
