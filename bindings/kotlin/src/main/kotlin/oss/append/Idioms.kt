// Hand-written (not generated): Kotlin idioms uniffi cannot generate, kept thin. Each only
// translates to the generated binding; tested in src/test/kotlin/oss/append/IdiomsTest.kt.
package oss.append

import com.sun.jna.Native
import java.io.File
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.channelFlow

/**
 * Callbacks come from the library's few threads (`oss-append-N`). JNA attaches such a thread to the
 * JVM for each callback and detaches it after, so every callback ran on a new `java.lang.Thread`
 * (`Thread-1234`). The first callback on a library thread keeps it attached and names its Thread
 * after it: from then on, its callbacks share one `Thread` named `oss-append-N`. Threads of the
 * app (a blocking call's callbacks run on the caller's thread) are left as they are.
 */
internal object CallbackThreads {
    private val settled = ThreadLocal.withInitial { false }

    fun enter() {
        if (settled.get()) return
        settled.set(true)
        val name = libraryThreadName() ?: return
        Native.detach(false)
        Thread.currentThread().name = name
    }
}

/** A progress listener from a lambda: `ProgressListener { sent, total -> keepGoing }`. */
operator fun ProgressListener.Companion.invoke(block: (sent: Long, total: Long) -> Boolean): ProgressListener =
    object : ProgressListener {
        override fun onProgress(sent: Long, total: Long): Boolean {
            CallbackThreads.enter()
            return block(sent, total)
        }
    }

/** A spool listener from a lambda: `SpoolListener { event -> … }`. */
operator fun SpoolListener.Companion.invoke(block: (event: SpoolEvent) -> Unit): SpoolListener =
    object : SpoolListener {
        override fun onEvent(event: SpoolEvent) {
            CallbackThreads.enter()
            block(event)
        }
    }

/** A credentials provider from a lambda: `CredentialsProvider { fetchFromMyServer() }`. */
operator fun CredentialsProvider.Companion.invoke(block: () -> Credentials): CredentialsProvider =
    object : CredentialsProvider {
        override fun credentials(): Credentials {
            CallbackThreads.enter()
            return block()
        }
    }

/**
 * The file an open descriptor refers to, for the [File] overloads: on Android, a `content://` Uri
 * without copying it, `contentResolver.openFileDescriptor(uri, "r")!!.use { client.appendFile(bucket,
 * key, descriptorFile(it.fd)) }`. The library opens it anew (`/proc/self/fd/N`, Linux and Android),
 * so the descriptor's own offset does not move and a retry reads from the start again.
 */
fun descriptorFile(fd: Int): File = File("/proc/self/fd/$fd")

/** [OssClient.appendFileBlocking] for a [File]. */
fun OssClient.appendFileBlocking(
    bucket: String,
    key: String,
    file: File,
    options: AppendOptions? = null,
    progress: ProgressListener? = null,
    cancel: CancelToken? = null,
): AppendResult = appendFileBlocking(bucket, key, file.path, options, progress, cancel)

/** [OssClient.appendFile] for a [File]. */
suspend fun OssClient.appendFile(
    bucket: String,
    key: String,
    file: File,
    options: AppendOptions? = null,
    progress: ProgressListener? = null,
    cancel: CancelToken? = null,
): AppendResult = appendFile(bucket, key, file.path, options, progress, cancel)

/** [Appender.appendFileBlocking] for a [File]. */
fun Appender.appendFileBlocking(file: File, cancel: CancelToken? = null): AppendResult = appendFileBlocking(file.path, cancel)

/** [Appender.appendFile] for a [File]. */
suspend fun Appender.appendFile(file: File, cancel: CancelToken? = null): AppendResult = appendFile(file.path, cancel)

/** What an append reports as it goes: bytes sent (a retry starts again from 0), then its result. */
sealed class AppendProgress {
    /** `sent` of `total` bytes have gone out. */
    data class Sent(val sent: Long, val total: Long) : AppendProgress()

    /** The append is done. */
    data class Done(val result: AppendResult) : AppendProgress()
}

/** The appends behind [appendWithProgress] and [appendFileWithProgress]: progress into the flow, then the result. */
private fun progressFlow(append: suspend (ProgressListener) -> AppendResult): Flow<AppendProgress> = channelFlow {
    // Progress is told from a library thread; when the collector lags, updates in between are dropped.
    val result = append(ProgressListener { sent, total -> trySend(AppendProgress.Sent(sent, total)); true })
    send(AppendProgress.Done(result))
}

/**
 * [OssClient.append] as a cold [Flow]: each collection appends once, emitting [AppendProgress.Sent]
 * as the body goes out and [AppendProgress.Done] at the end; an error is thrown to the collector,
 * and cancelling the collector cancels the append.
 */
fun OssClient.appendWithProgress(
    bucket: String,
    key: String,
    data: ByteArray,
    options: AppendOptions? = null,
): Flow<AppendProgress> = progressFlow { listener -> append(bucket, key, data, options, listener) }

/** [OssClient.appendFile] as a cold [Flow], as [appendWithProgress]. */
fun OssClient.appendFileWithProgress(
    bucket: String,
    key: String,
    file: File,
    options: AppendOptions? = null,
): Flow<AppendProgress> = progressFlow { listener -> appendFile(bucket, key, file.path, options, listener) }

// The service's answer is one record (`e.failure`, as Swift's `catch OssError.service(let failure)`
// binds it); its fields read on the exception too, as before: `e.status`, `e.code`, `e.nextPosition`.

/** What the error means. */
val OssException.Service.kind: ServiceErrorKind get() = failure.kind

/** HTTP status, e.g. 409. */
val OssException.Service.status: Int get() = failure.status

/** OSS error code, e.g. `PositionNotEqualToLength` (empty for HEAD, whose errors have no body). */
val OssException.Service.code: String get() = failure.code

/** The service's message (`Message` in the error XML). */
val OssException.Service.errorMessage: String get() = failure.errorMessage

/** `x-oss-request-id`, for Alibaba Cloud support. */
val OssException.Service.requestId: String get() = failure.requestId

/** The host that answered. */
val OssException.Service.hostId: String get() = failure.hostId

/** Detailed error code, e.g. `0026-00000016`. */
val OssException.Service.ec: String get() = failure.ec

/** The object's real length, for `PositionNotEqualToLength`: where to append next. */
val OssException.Service.nextPosition: Long? get() = failure.nextPosition

/** The object's CRC-64, when the response carried it. */
val OssException.Service.serverCrc64: Long? get() = failure.serverCrc64

/** The position the append asked for. */
val OssException.Service.position: Long? get() = failure.position
