package oss.append

import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Every failure is one sealed OssException; a `when` over it handles each kind. */
class ErrorTest {
    private val client = TestEmulator.client()
    private val bucket = TestEmulator.BUCKET

    @AfterEach
    fun disarm() = TestEmulator.clearFaults()

    @Test
    fun appendAtWrongPositionReportsNextPosition() {
        val key = TestEmulator.key("position.log")
        val first = client.appendBlocking(bucket, key, "12345".toByteArray())
        // Given a position and CRC, the client sends at once (no HEAD), and the service refuses.
        val error = assertThrows<OssException.Service> {
            client.appendBlocking(bucket, key, "x".toByteArray(), AppendOptions(position = 2L, crc64 = first.crc64))
        }
        assertEquals(409, error.status)
        assertEquals("PositionNotEqualToLength", error.code)
        assertEquals("0026-00000016", error.ec)
        assertEquals(5L, error.nextPosition)
        assertEquals(2L, error.position)
        assertTrue(error.requestId.isNotEmpty())
        assertTrue(error.errorMessage.isNotEmpty())
        // message and toString() are the library's text, which says what to do (not a field dump):
        // what Log.w(tag, e.message) and crash reporters show.
        assertTrue(error.toString().contains("append at the next position"), error.toString())
        assertEquals(error.toString(), error.message)
        assertTrue(error.message!!.startsWith("OSS returned HTTP 409 PositionNotEqualToLength"), error.message)
        // Resuming where the service says works.
        assertEquals(6L, client.appendBlocking(bucket, key, "x".toByteArray(), AppendOptions(position = error.nextPosition)).nextPosition)
    }

    @Test
    fun appendToNormalObjectIsNotAppendable() {
        val key = TestEmulator.key("normal.bin")
        client.putBlocking(bucket, key, "normal".toByteArray())
        val error = assertThrows<OssException.Service> {
            client.appendBlocking(bucket, key, "x".toByteArray(), AppendOptions(position = 6L, crc64 = 0L))
        }
        assertEquals("ObjectNotAppendable", error.code)
        assertEquals(409, error.status)
        assertEquals("0026-00000017", error.ec)
    }

    @Test
    fun wrongSecretIsSignatureDoesNotMatch() {
        val bad = TestEmulator.client(Credentials("test-ak", "not-the-secret"))
        // At position 0 no HEAD goes first: the append itself is refused, with the service's code.
        val error = assertThrows<OssException.Service> {
            bad.appendBlocking(bucket, TestEmulator.key("x"), "x".toByteArray(), AppendOptions(position = 0L))
        }
        assertEquals(403, error.status)
        assertEquals("SignatureDoesNotMatch", error.code)
        assertEquals(ServiceErrorKind.SIGNATURE_DOES_NOT_MATCH, error.kind)
        assertEquals("0002-00000040", error.ec)
    }

    @Test
    fun stsKeysWithoutTheirTokenAreRefused() {
        val noToken = TestEmulator.client(TestEmulator.STS_FIRST.copy(securityToken = null))
        val error = assertThrows<OssException.Service> { noToken.appendBlocking(bucket, TestEmulator.key("x"), "x".toByteArray()) }
        assertEquals(403, error.status)
    }

    @Test
    fun badArgumentsFailBeforeAnythingIsSent() {
        val error = assertThrows<OssException.InvalidArgument> { client.appendBlocking("", "key", "x".toByteArray()) }
        assertEquals("bucket", error.name)
        assertThrows<OssException.InvalidArgument> {
            OssClient(ClientConfig(endpoint = "ftp://example"), TestEmulator.KEYS)
        }
        assertThrows<OssException.InvalidArgument> {
            client.appendBlocking(bucket, TestEmulator.key("x"), "x".toByteArray(),
                AppendOptions(headers = ObjectHeaders(storageClass = StorageClass.ColdArchive)))
        }
    }

    @Test
    fun missingFileIsReportedAsInvalidArgument() {
        val error = assertThrows<OssException.InvalidArgument> {
            client.appendFileBlocking(bucket, TestEmulator.key("x"), "/no/such/file")
        }
        assertEquals("body", error.name)
    }

    @Test
    fun nothingListeningIsANetworkError() {
        val closed = OssClient(TestEmulator.config(maxAttempts = 1, endpoint = "http://127.0.0.1:1"), TestEmulator.KEYS)
        assertThrows<OssException.Network> { closed.headBlocking(bucket, "x") }
    }

    @Test
    fun slowServerIsATimeout() {
        TestEmulator.fault("kind=delay&count=1&millis=1500")
        val impatient = OssClient(TestEmulator.config(maxAttempts = 1, readWriteTimeoutMs = 200L), TestEmulator.KEYS)
        val error = assertThrows<OssException.Timeout> { impatient.headBlocking(bucket, "x") }
        assertEquals(TimeoutKind.READ_WRITE, error.kind)
    }

    @Test
    fun exhaustedRetriesReportTheLastStatus() {
        TestEmulator.fault("kind=fail&count=5&status=503")
        val error = assertThrows<OssException.Service> {
            client.appendBlocking(bucket, TestEmulator.key("x"), "x".toByteArray(), AppendOptions(position = 0L))
        }
        assertEquals(503, error.status)
        assertEquals("ServiceUnavailable", error.code)
    }

    @Test
    fun negativeNumbersAreRefusedBeforeAnythingIsSent() {
        val key = TestEmulator.key("negative")
        val position = assertThrows<OssException.InvalidArgument> {
            client.appendBlocking(bucket, key, "x".toByteArray(), AppendOptions(position = -1))
        }
        assertEquals("position", position.name)
        assertEquals("invalid position: -1 is negative; it must be 0 or more", position.toString())
        val timeout = assertThrows<OssException.InvalidArgument> {
            OssClient(TestEmulator.config(readWriteTimeoutMs = -5), TestEmulator.KEYS)
        }
        assertEquals("readWriteTimeoutMs", timeout.name)
        assertThrows<OssException.InvalidArgument> { client.getBlocking(bucket, key, ByteRange.Last(-3)) }
        assertThrows<OssException.InvalidArgument> { client.appender(bucket, key, AppendOptions(position = -7)) }
        assertEquals(404, assertThrows<OssException.Service> { client.headBlocking(bucket, key) }.status)
    }

    @Test
    fun everyErrorIsOneSealedType() {
        val error: OssException = assertThrows<OssException> { client.headBlocking(bucket, TestEmulator.key("missing")) }
        val described = when (error) {
            is OssException.Service -> {
                assertEquals(ServiceErrorKind.NO_SUCH_KEY, error.kind)
                "HTTP ${error.status} ${error.code}"
            }
            is OssException.CrcMismatch -> "CRC"
            is OssException.Unverified -> "landed, unverified"
            is OssException.Unsettled -> "unsettled"
            is OssException.DownloadCrcMismatch -> "download CRC"
            is OssException.Network -> "network"
            is OssException.Timeout -> "timeout"
            is OssException.Cancelled -> "cancelled"
            is OssException.InvalidArgument -> "invalid"
            is OssException.Credentials -> "credentials"
            is OssException.Body -> "body"
            is OssException.Protocol -> "protocol"
            is OssException.Spool -> "spool ${error.kind}"
            is OssException.Tls -> "tls ${error.kind}"
            is OssException.Callback -> "callback ${error.callback}"
        }
        assertEquals("HTTP 404 NoSuchKey", described)
    }

    @Test
    fun everyMessageIsTheLibrarysText() {
        val errors = listOf(
            assertThrows<OssException> { client.headBlocking(bucket, TestEmulator.key("missing")) },
            assertThrows<OssException> { client.appendBlocking("Bad_Bucket", "k", "x".toByteArray()) },
            assertThrows<OssException> { client.appendBlocking(bucket, TestEmulator.key("k"), "x".toByteArray(), cancel = CancelToken().apply { cancel() }) },
            OssException.Credentials("token server said 401"),
        )
        for (error in errors) {
            val message = error.message
            assertEquals(error.toString(), message)
            assertTrue(!message.isNullOrEmpty() && !Regex("^[a-zA-Z0-9]+=").containsMatchIn(message), "$error: $message")
        }
        assertTrue(errors[2] is OssException.Cancelled && errors[2].message!!.contains("cancel"), errors[2].message)
    }

    @Test
    fun anUnsettledAppendCarriesItsInFlightAppendToSettle() {
        val client = TestEmulator.client(maxAttempts = 1)
        val key = TestEmulator.key("unsettled.log")
        val first = client.appendBlocking(bucket, key, "first,".toByteArray())
        // The append lands, its response is lost, and the HEAD that would settle it is refused.
        TestEmulator.fault("kind=drop-after-commit&count=1")
        TestEmulator.fault("kind=fail&method=HEAD&status=503&count=5")
        val error = assertThrows<OssException.Unsettled> {
            client.appendBlocking(bucket, key, "second,".toByteArray(), AppendOptions(position = 6L, crc64 = first.crc64))
        }
        assertEquals(6L, error.inFlight.position)
        assertEquals(7L, error.inFlight.length)
        assertEquals(first.crc64, error.inFlight.crc64Before)
        assertTrue(error.reason.contains("may have landed"), error.reason)
        TestEmulator.clearFaults()
        // Kept as plain data, it is settled later: it landed, once.
        val settlement = client.settleBlocking(error.inFlight)
        assertTrue(settlement is Settlement.Landed, settlement.toString())
        assertEquals(13L, (settlement as Settlement.Landed).result.nextPosition)
        assertEquals("first,second,", String(client.getBlocking(bucket, key).data))
    }

    @Test
    fun aLostResponseIsSettledBeforeTheCallReturns() {
        val client = TestEmulator.client(maxAttempts = 1)
        val key = TestEmulator.key("lost.log")
        TestEmulator.fault("kind=drop-after-commit&count=1")
        val result = client.appendBlocking(bucket, key, "once".toByteArray())
        assertTrue(result.reconciled)
        assertEquals("once", String(client.getBlocking(bucket, key).data))
    }
}
