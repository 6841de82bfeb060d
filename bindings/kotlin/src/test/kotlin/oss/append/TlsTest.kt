package oss.append

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** HTTPS from Kotlin: a CA bundle trusted, and a server the client does not trust. */
class TlsTest {
    @Test
    fun appendsOverHttpsWithACaBundle() {
        assertTrue(TlsEmulator.endpoint.startsWith("https://"), TlsEmulator.endpoint)
        val config = TestSettings.configFor(TlsEmulator.endpoint).copy(caBundlePem = TlsEmulator.caPem)
        val client = OssClient(config, TestSettings.KEYS)
        val key = TestEmulator.key("https.log")
        client.appendBlocking(TestEmulator.BUCKET, key, "over tls".toByteArray())
        assertArrayEquals("over tls".toByteArray(), client.getBlocking(TestEmulator.BUCKET, key).data)
    }

    @Test
    fun anUntrustedServerIsATlsErrorOfItsKind() {
        val config = TestSettings.configFor(TlsEmulator.endpoint)
        val client = OssClient(config, TestSettings.KEYS)
        val error = assertThrows<OssException.Tls> { client.headBlocking(TestEmulator.BUCKET, "missing") }
        assertEquals(TlsErrorKind.UNKNOWN_ISSUER, error.kind)
        assertTrue(error.toString().contains("CA bundle"), error.toString())
    }
}
