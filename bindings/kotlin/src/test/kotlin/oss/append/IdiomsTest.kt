package oss.append

import java.io.File
import java.time.Instant
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The hand-written Kotlin idioms (Idioms.kt): listeners from lambdas, File arguments. */
class IdiomsTest {
    private val client = TestEmulator.client()
    private val bucket = TestEmulator.BUCKET

    @Test
    fun listenersAreLambdas() {
        val key = TestEmulator.key("lambda.bin")
        val seen = mutableListOf<Long>()
        val body = ByteArray(300_000) { it.toByte() }
        client.appendBlocking(bucket, key, body, progress = ProgressListener { sent, _ -> seen += sent; true })
        assertEquals(body.size.toLong(), seen.last())
        // Returning false cancels, as from an object.
        assertThrows<OssException.Cancelled> {
            client.appendBlocking(bucket, key, body, progress = ProgressListener { _, _ -> false })
        }
        var fetched = 0
        val sts = OssClient.withCredentialsProvider(
            TestEmulator.config(),
            CredentialsProvider { fetched++; TestEmulator.STS_FIRST.copy(expiration = Instant.now().plusSeconds(3600)) },
        )
        assertEquals(2L, sts.appendBlocking(bucket, TestEmulator.key("lambda-sts.log"), "v1".toByteArray()).nextPosition)
        assertEquals(1, fetched)
    }

    @Test
    fun filesAreFiles() = runBlocking {
        val file = File.createTempFile("oss-append-idioms", ".bin").apply { deleteOnExit(); writeBytes(ByteArray(5000) { 7 }) }
        val key = TestEmulator.key("file.bin")
        assertEquals(5000L, client.appendFileBlocking(bucket, key, file).nextPosition)
        assertEquals(10_000L, client.appendFile(bucket, key, file).nextPosition)
        val log = client.appender(bucket, key)
        assertEquals(15_000L, log.appendFileBlocking(file).nextPosition)
        assertEquals(20_000L, log.appendFile(file).nextPosition)
        assertTrue(client.getBlocking(bucket, key).data.all { it == 7.toByte() })
    }

    /** The C library, for file descriptors as an Android ContentResolver hands them out. */
    private interface LibC : com.sun.jna.Library {
        fun open(path: String, flags: Int): Int
        fun close(fd: Int): Int
        fun lseek(fd: Int, offset: Long, whence: Int): Long
    }

    @Test
    fun openDescriptorsAreFiles() = runBlocking {
        val libc = com.sun.jna.Native.load("c", LibC::class.java)
        val file = File.createTempFile("descriptor", ".bin").apply { deleteOnExit(); writeBytes(ByteArray(300_000) { (it % 7).toByte() }) }
        val fd = libc.open(file.path, 0)
        assertTrue(fd >= 0)
        try {
            val key = TestEmulator.key("descriptor.bin")
            assertEquals(file.length(), client.appendFile(bucket, key, descriptorFile(fd)).nextPosition)
            assertEquals(2 * file.length(), client.appendFileBlocking(bucket, key, descriptorFile(fd)).nextPosition)
            assertEquals(0L, libc.lseek(fd, 0, 1), "the descriptor's own offset did not move")
            assertTrue(client.getBlocking(bucket, key).data.contentEquals(file.readBytes() + file.readBytes()))
        } finally {
            libc.close(fd)
        }
        val closed = assertThrows<OssException.InvalidArgument> { client.appendFileBlocking(bucket, "k", descriptorFile(fd)) }
        assertEquals("body", closed.name)
    }

    @Test
    fun everyOperationSuspends() = runBlocking {
        val key = TestEmulator.key("suspend.log")
        assertEquals(3L, client.append(bucket, key, "ab\n".toByteArray()).nextPosition)
        assertEquals(3L, client.head(bucket, key).contentLength)
        assertEquals("ab\n", String(client.get(bucket, key).data))
        val log = client.appender(bucket, key)
        assertEquals(6L, log.append("cd\n".toByteArray()).nextPosition)
        assertNull(log.settle(), "nothing in flight")
        val normal = TestEmulator.key("suspend-put.bin")
        assertTrue(client.put(bucket, normal, "x".toByteArray()).requestId.isNotEmpty())
        assertTrue(client.delete(bucket, normal).isNotEmpty())
        assertThrows<OssException.Service> { client.headBlocking(bucket, normal) }
        Unit
    }

    @Test
    fun aCancelledAppendLeavesTheAppenderUsable() = runBlocking {
        val key = TestEmulator.key("cancel-once.log")
        val log = client.appender(bucket, key)
        log.append("one\n".toByteArray())
        val cancelled = CancelToken().apply { cancel() }
        assertThrows<OssException.Cancelled> { log.appendBlocking("never\n".toByteArray(), cancelled) }
        assertThrows<OssException.Cancelled> { log.append("never\n".toByteArray(), cancelled) }
        // The next appends have tokens of their own (or none): the appender goes on.
        log.append("two\n".toByteArray(), CancelToken())
        log.appendBlocking("three\n".toByteArray())
        assertEquals("one\ntwo\nthree\n", String(client.get(bucket, key).data))
    }

    @Test
    fun progressIsAFlowEndingWithTheResult() = runBlocking {
        val key = TestEmulator.key("flow.bin")
        val body = ByteArray(1 shl 20) { it.toByte() }
        val events = client.appendWithProgress(bucket, key, body).toList()
        val sent = events.filterIsInstance<AppendProgress.Sent>()
        assertTrue(sent.isNotEmpty(), "$events")
        assertTrue(sent.all { it.total == body.size.toLong() })
        val done = events.last() as AppendProgress.Done
        assertEquals(body.size.toLong(), done.result.nextPosition)
        // An error reaches the collector; cancelling the collection cancels the append.
        assertThrows<OssException.Service> {
            runBlocking { client.appendWithProgress(bucket, key, body, AppendOptions(position = 0)).toList() }
        }
        val file = File.createTempFile("oss-append-flow", ".bin").apply { deleteOnExit(); writeBytes(ByteArray(64 shl 20)) }
        val big = TestEmulator.key("flow-cancelled.bin")
        val first = client.appendFileWithProgress(bucket, big, file).first()
        assertTrue(first is AppendProgress.Sent, "$first")
        // first() cancelled the flow at its first event: the upload stopped, nothing landed.
        Thread.sleep(300)
        assertThrows<OssException.Service> { client.headBlocking(bucket, big) }
        Unit
    }

    @Test
    fun aSpoolListenerIsALambda() {
        val key = TestEmulator.key("lambda-spool.log")
        val appended = mutableListOf<SpoolEvent.Appended>()
        val spool = Spool.open(
            client,
            kotlin.io.path.createTempDirectory("oss-append-idioms").toString(),
            SpoolConfig(bucket = bucket, keyTemplate = key),
            SpoolListener { event -> if (event is SpoolEvent.Appended) synchronized(appended) { appended += event } },
        )
        spool.write("one line\n".toByteArray())
        spool.flushBlocking(30_000)
        spool.shutdown()
        assertEquals(9L, synchronized(appended) { appended.sumOf { it.length } })
    }
}
