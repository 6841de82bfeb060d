package oss.append

import java.time.Instant
import java.util.concurrent.atomic.AtomicInteger
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** STS tokens from the app's own server, through a CredentialsProvider. */
class CredentialsTest {
    private val bucket = TestEmulator.BUCKET

    /** Stands in for the app's call to its token server: each fetch returns the next token. */
    private class TokenServer(val tokens: List<Credentials>) : CredentialsProvider {
        val fetches = AtomicInteger()
        override fun credentials(): Credentials = tokens[minOf(fetches.getAndIncrement(), tokens.size - 1)]
    }

    @Test
    fun providerIsAskedAgainBeforeTheTokenExpires() {
        val now = Instant.now()
        val server = TokenServer(listOf(
            // Expires within the 5-minute margin: used once, then fetched again.
            TestEmulator.STS_FIRST.copy(expiration = now.plusSeconds(60)),
            TestEmulator.STS_SECOND.copy(expiration = now.plusSeconds(3600)),
        ))
        val client = OssClient.withCredentialsProvider(TestEmulator.config(), server)
        val key = TestEmulator.key("sts.log")
        var position = 0L
        var crc = 0L
        repeat(3) {
            val result = client.appendBlocking(bucket, key, "tick\n".toByteArray(), AppendOptions(position = position, crc64 = crc))
            position = result.nextPosition
            crc = result.crc64
        }
        assertEquals(15L, position)
        assertEquals(2, server.fetches.get(), "one fetch for the short-lived token, one for its successor")
    }

    @Test
    fun tokenWithoutExpirationIsFetchedOnce() {
        val server = TokenServer(listOf(TestEmulator.STS_SECOND))
        val client = OssClient.withCredentialsProvider(TestEmulator.config(), server)
        val log = client.appender(bucket, TestEmulator.key("once.log"))
        repeat(3) { log.appendBlocking("x".toByteArray()) }
        assertEquals(1, server.fetches.get())
    }

    @Test
    fun providerThrowingOssExceptionFailsTheCall() {
        val provider = object : CredentialsProvider {
            override fun credentials(): Credentials = throw OssException.Credentials("token server said 401")
        }
        val client = OssClient.withCredentialsProvider(TestEmulator.config(), provider)
        val error = assertThrows<OssException.Credentials> { client.headBlocking(bucket, "x") }
        assertEquals("token server said 401", error.reason)
    }

    @Test
    fun providerThrowingAnythingElseFailsTheCallWithoutCrashing() {
        val provider = object : CredentialsProvider {
            override fun credentials(): Credentials = throw IllegalStateException("no network")
        }
        val client = OssClient.withCredentialsProvider(TestEmulator.config(), provider)
        val error = assertThrows<OssException.Credentials> { client.headBlocking(bucket, "x") }
        // What it threw, without the stack trace JNA hands over (and without a trailing newline).
        assertEquals("the credentials provider threw: java.lang.IllegalStateException: no network", error.reason)
    }

    @Test
    fun stsAnswersBecomeCredentials() {
        // The strings an STS AssumeRole answer (or the app's server relaying it) carries.
        val credentials = credentialsFromSts("sts-ak-1", "sts-sk-1", "sts-token-1", "2026-11-30T20:00:00+08:00")
        assertEquals(Instant.parse("2026-11-30T12:00:00Z"), credentials.expiration)
        assertEquals("sts-token-1", credentials.securityToken)
        val error = assertThrows<OssException.Credentials> { credentialsFromSts("a", "b", "c", "tomorrow") }
        assertTrue(error.reason.contains("ISO 8601"), error.reason)
        // Usable as they are: the emulator knows these keys.
        val client = OssClient(TestEmulator.config(), credentials.copy(expiration = Instant.now().plusSeconds(3600)))
        assertEquals(1L, client.appendBlocking(bucket, TestEmulator.key("sts-helper.log"), "x".toByteArray()).nextPosition)
    }

    @Test
    fun credentialsFromTheAppsTokenServer() {
        // The emulator answers GET /-/emulator/sts as an app's token server does.
        val url = "${TestEmulator.endpoint}/-/emulator/sts"
        val client = OssClient.withCredentialsUrl(TestEmulator.config(), url, mapOf("Authorization" to "Bearer app-token"))
        val key = TestEmulator.key("sts-url.log")
        assertEquals(3L, client.appendBlocking(bucket, key, "abc".toByteArray()).nextPosition)
        assertEquals(6L, client.appender(bucket, key).appendBlocking("def".toByteArray()).nextPosition)

        val missing = OssClient.withCredentialsUrl(TestEmulator.config(), "${TestEmulator.endpoint}/-/emulator/none")
        val refused = assertThrows<OssException.Credentials> { missing.headBlocking(bucket, key) }
        assertTrue(refused.reason.contains("answered HTTP 404"), refused.reason)

        val bad = assertThrows<OssException.InvalidArgument> { OssClient.withCredentialsUrl(TestEmulator.config(), "ftp://app/sts") }
        assertEquals("credentials URL", bad.name)
    }
}
