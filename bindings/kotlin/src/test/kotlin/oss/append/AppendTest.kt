package oss.append

import java.io.File
import java.util.zip.CRC32
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Appends, reads and writes: how an app uses the client. */
class AppendTest {
    private val client = TestEmulator.client()
    private val bucket = TestEmulator.BUCKET

    @Test
    fun appendsTrackPositionAndCrc() {
        val key = TestEmulator.key("log.txt")
        // Without a position the client finds the object's end (0 for a new object).
        val first = client.appendBlocking(bucket, key, "hello ".toByteArray())
        assertEquals(0L, first.position)
        assertEquals(6L, first.nextPosition)
        assertTrue(first.requestId.isNotEmpty())
        // With the position and CRC so far, no HEAD request is needed.
        val second = client.appendBlocking(
            bucket, key, "world".toByteArray(),
            AppendOptions(position = first.nextPosition, crc64 = first.crc64),
        )
        assertEquals(11L, second.nextPosition)
        assertNotEquals(first.crc64, second.crc64)
        assertFalse(second.reconciled)

        val meta = client.headBlocking(bucket, key)
        assertEquals(ObjectType.Appendable, meta.objectType)
        val modified = meta.lastModified ?: error("HEAD has Last-Modified")
        assertTrue(java.time.Duration.between(modified, java.time.Instant.now()).abs() < java.time.Duration.ofMinutes(5), "$modified")
        assertEquals(11L, meta.nextAppendPosition)
        assertEquals(second.crc64, meta.crc64)
        assertEquals("hello world", String(client.getBlocking(bucket, key).data))
    }

    @Test
    fun appenderCarriesPositionFromOneAppendToTheNext() {
        val key = TestEmulator.key("appender.log")
        val headers = ObjectHeaders(contentType = "text/plain", metadata = mapOf("source" to "kotlin"))
        val log = client.appender(bucket, key, AppendOptions(headers = headers))
        assertNull(log.nextPosition())
        for (line in listOf("one\n", "two\n", "three\n")) log.appendBlocking(line.toByteArray())
        assertEquals(14L, log.nextPosition())
        assertEquals(client.headBlocking(bucket, key).crc64, log.crc64())
        val meta = client.headBlocking(bucket, key)
        assertEquals("text/plain", meta.contentType)
        assertEquals("kotlin", meta.metadata["source"])
        assertEquals("one\ntwo\nthree\n", String(client.getBlocking(bucket, key).data))
    }

    @Test
    fun appendFileStreamsTheFile() {
        val key = TestEmulator.key("file.bin")
        val bytes = ByteArray(3 * 1024 * 1024 + 17) { (it * 31 % 251).toByte() }
        val file = File.createTempFile("oss-append", ".bin").apply { deleteOnExit(); writeBytes(bytes) }
        client.appendBlocking(bucket, key, "header".toByteArray())
        val result = client.appendFileBlocking(bucket, key, file.path)
        assertEquals(6L, result.position)
        assertEquals(6L + bytes.size.toLong(), result.nextPosition)
        val back = client.getBlocking(bucket, key, ByteRange.From(6L)).data
        assertEquals(checksum(bytes), checksum(back))
    }

    @Test
    fun putGetRangeAndDelete() {
        val key = TestEmulator.key("normal.txt")
        val put = client.putBlocking(bucket, key, "0123456789".toByteArray(), ObjectHeaders(contentType = "text/plain"))
        assertTrue(put.requestId.isNotEmpty())
        assertEquals(ObjectType.Normal, client.headBlocking(bucket, key).objectType)
        assertArrayEquals("345".toByteArray(), client.getBlocking(bucket, key, ByteRange.Span(3L, 5L)).data)
        assertTrue(client.deleteBlocking(bucket, key).isNotEmpty())
        val missing = assertThrows<OssException.Service> { client.headBlocking(bucket, key) }
        assertEquals(404, missing.status)
    }

    @Test
    fun v1SignatureAndStsCredentialsWork() {
        val config = TestEmulator.config().copy(signatureVersion = SignatureVersion.V1)
        val sts = OssClient(config, TestEmulator.STS_FIRST)
        val key = TestEmulator.key("v1.txt")
        assertEquals(2L, sts.appendBlocking(bucket, key, "v1".toByteArray()).nextPosition)
    }

    @Test
    fun lostResponseIsReconciledNotDuplicated() {
        val key = TestEmulator.key("lost.log")
        client.appendBlocking(bucket, key, "a".toByteArray())
        // The append lands, then its response is lost: the retry proves it by length and CRC.
        TestEmulator.fault("kind=drop-after-commit&count=1")
        val result = client.appendBlocking(bucket, key, "b".toByteArray())
        assertTrue(result.reconciled)
        assertEquals(2L, result.nextPosition)
        assertEquals("ab", String(client.getBlocking(bucket, key).data))
    }

    @Test
    fun serviceErrorsAreRetried() {
        val key = TestEmulator.key("retried.log")
        TestEmulator.fault("kind=fail&count=2&status=503")
        assertEquals(5L, client.appendBlocking(bucket, key, "retry".toByteArray(), AppendOptions(position = 0L)).nextPosition)
    }

    private fun checksum(bytes: ByteArray) = CRC32().apply { update(bytes) }.value
}
