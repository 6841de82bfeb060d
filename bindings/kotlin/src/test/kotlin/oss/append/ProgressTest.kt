package oss.append

import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Progress listeners, cancellation and the threads callbacks arrive on. */
class ProgressTest {
    private val client = TestEmulator.client()
    private val bucket = TestEmulator.BUCKET
    private val body = ByteArray(1024 * 1024) { it.toByte() }

    /** Records every (sent, total) and the thread it came on. */
    private class Recorder(val keepGoing: (Long) -> Boolean = { true }) : ProgressListener {
        val calls: MutableList<Pair<Long, Long>> = Collections.synchronizedList(mutableListOf())
        val threads: MutableSet<Thread> = Collections.synchronizedSet(mutableSetOf())
        override fun onProgress(sent: Long, total: Long): Boolean {
            calls += sent to total
            threads += Thread.currentThread()
            return keepGoing(sent)
        }
    }

    @Test
    fun progressRisesInOrderToTheTotal() {
        val progress = Recorder()
        val result = client.appendBlocking(bucket, TestEmulator.key("progress.bin"), body, progress = progress)
        assertEquals(body.size.toLong(), result.nextPosition)
        assertTrue(progress.calls.size > 1, "one call per chunk sent, got ${progress.calls.size}")
        assertTrue(progress.calls.all { it.second == body.size.toLong() })
        assertTrue(progress.calls.zipWithNext().all { (a, b) -> a.first < b.first }, "${progress.calls}")
        assertEquals(body.size.toLong(), progress.calls.last().first)
        // The blocking methods call back on the caller's thread.
        assertEquals(setOf(Thread.currentThread()), progress.threads.toSet())
    }

    @Test
    fun listenerReturningFalseCancelsAndNothingIsAppended() {
        val key = TestEmulator.key("cancelled.bin")
        val progress = Recorder { false }
        assertThrows<OssException.Cancelled> { client.appendBlocking(bucket, key, body, progress = progress) }
        assertEquals(1, progress.calls.size)
        val missing = assertThrows<OssException.Service> { client.headBlocking(bucket, key) }
        assertEquals(404, missing.status)
    }

    @Test
    fun listenerThatThrowsFailsTheCallWithCallbackAndNothingIsAppended() {
        val key = TestEmulator.key("thrown.bin")
        val progress = Recorder { throw IllegalStateException("disk full") }
        val error = assertThrows<OssException.Callback> { client.appendBlocking(bucket, key, body, progress = progress) }
        assertEquals(CallbackKind.PROGRESS, error.callback)
        assertEquals("java.lang.IllegalStateException: disk full", error.reason)
        assertEquals("the progress listener threw: java.lang.IllegalStateException: disk full", error.toString())
        assertEquals(1, progress.calls.size)
        assertThrows<OssException.Service> { client.headBlocking(bucket, key) }
        // The same from a coroutine and from an appender; the appender works again afterwards.
        runBlocking {
            assertThrows<OssException.Callback> { client.append(bucket, key, body, progress = progress) }
        }
        var fail = true
        val log = client.appender(bucket, key, progress = Recorder { if (fail) throw RuntimeException("once") else true })
        val thrown = assertThrows<OssException.Callback> { log.appendBlocking(body) }
        assertEquals("java.lang.RuntimeException: once", thrown.reason)
        fail = false
        assertEquals(body.size.toLong(), log.appendBlocking(body).nextPosition)
    }

    @Test
    fun cancelTokenStopsACallFromAnotherThread() {
        val key = TestEmulator.key("token.bin")
        val token = CancelToken()
        val cancelled = CountDownLatch(1)
        // At the first chunk, another thread cancels; the call stops at its next check.
        val progress = Recorder {
            if (cancelled.count > 0) {
                Thread { token.cancel(); cancelled.countDown() }.start()
                assertTrue(cancelled.await(5, TimeUnit.SECONDS))
            }
            true
        }
        assertThrows<OssException.Cancelled> { client.appendBlocking(bucket, key, body, progress = progress, cancel = token) }
        assertTrue(token.isCancelled())
        assertThrows<OssException.Service> { client.headBlocking(bucket, key) }
        // A cancelled token stays cancelled: the next call using it fails at once.
        assertThrows<OssException.Cancelled> { client.appendBlocking(bucket, key, body, cancel = token) }
    }

    @Test
    fun asyncCallsBackFromRustThreads() = runBlocking {
        val progress = Recorder()
        val result = client.append(bucket, TestEmulator.key("async.bin"), body, progress = progress)
        assertEquals(body.size.toLong(), result.nextPosition)
        assertTrue(progress.calls.isNotEmpty())
        // JNA attaches the library's thread to the JVM for each callback: never the caller's thread.
        assertFalse(Thread.currentThread() in progress.threads)
    }

    @Test
    fun lambdaListenersAreCalledOnTheLibrarysFewNamedThreads() = runBlocking {
        // Before: each callback ran on a new java.lang.Thread ("Thread-1234"), one per call of it.
        val threads: MutableSet<Thread> = Collections.newSetFromMap(java.util.IdentityHashMap())
        var calls = 0
        val listener = ProgressListener { _, _ ->
            synchronized(threads) {
                threads += Thread.currentThread()
                calls++
            }
            true
        }
        repeat(5) { client.append(bucket, TestEmulator.key("named.bin"), body, progress = listener) }
        val names = synchronized(threads) { threads.map { it.name } }
        assertTrue(calls >= 10, "$calls callbacks")
        assertTrue(names.all { Regex("oss-append-[0-9]+").matches(it) }, "$names")
        assertEquals(names.toSet().size, threads.size, "one Thread object per library thread: $names")
        // Each upload's callbacks come from the one library thread running it; which idle thread
        // takes the next upload is the pool's choice, so 5 uploads use at most 5.
        assertTrue(threads.size <= 5, "$calls callbacks on ${threads.size} Thread objects")
    }

    @Test
    fun concurrentAsyncAppendsCallBackIndependently() = runBlocking {
        val progress = List(4) { Recorder() }
        val keys = List(4) { TestEmulator.key("parallel-$it.bin") }
        val callers: MutableSet<Thread> = Collections.synchronizedSet(mutableSetOf())
        val results = progress.indices.map { i ->
            async(Dispatchers.Default) {
                callers += Thread.currentThread()
                client.append(bucket, keys[i], body, progress = progress[i])
            }
        }.awaitAll()
        assertTrue(results.all { it.nextPosition == body.size.toLong() })
        for (recorder in progress) {
            assertEquals(body.size.toLong(), recorder.calls.last().first)
            assertTrue(recorder.threads.none { it in callers })
        }
        keys.forEach { assertEquals(body.size.toLong(), client.headBlocking(bucket, it).contentLength) }
    }

    @Test
    fun blockingCallsFromManyThreadsShareOneClient() {
        val key = TestEmulator.key("shared.log")
        val log = client.appender(bucket, key)
        val threads = List(8) { i -> Thread { repeat(5) { log.appendBlocking("line $i\n".toByteArray()) } } }
        threads.forEach(Thread::start)
        threads.forEach(Thread::join)
        assertEquals(40L * 7L, log.nextPosition())
        assertEquals(40, String(client.getBlocking(bucket, key).data).lines().count { it.isNotEmpty() })
    }

    @Test
    fun cancellingTheCoroutineCancelsTheUpload() = runBlocking {
        val key = TestEmulator.key("coroutine.bin")
        val token = CancelToken()
        val started = CountDownLatch(1)
        val release = CountDownLatch(1)
        // The listener holds the upload at its first chunk until the coroutine is cancelled.
        val progress = Recorder { started.countDown(); release.await(5, TimeUnit.SECONDS); true }
        val job = launch(Dispatchers.Default) {
            client.append(bucket, key, body, progress = progress, cancel = token)
        }
        assertTrue(started.await(5, TimeUnit.SECONDS))
        job.cancelAndJoin()
        assertTrue(token.isCancelled(), "dropping the call cancels its token")
        release.countDown()
        // The upload stops at its next check; nothing is committed.
        Thread.sleep(300)
        assertThrows<OssException.Service> { client.headBlocking(bucket, key) }
        assertNotEquals(body.size, progress.calls.size)
    }
}
