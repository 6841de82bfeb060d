// Hand-written (not generated): Kotlin idioms uniffi cannot generate, kept thin. Each only
// translates to the generated binding; tested in src/test/kotlin/oss/append/IdiomsTest.kt.
package oss.append

import java.io.File

/** A progress listener from a lambda: `ProgressListener { sent, total -> keepGoing }`. */
operator fun ProgressListener.Companion.invoke(block: (sent: Long, total: Long) -> Boolean): ProgressListener =
    object : ProgressListener {
        override fun onProgress(sent: Long, total: Long): Boolean = block(sent, total)
    }

/** A spool listener from a lambda: `SpoolListener { event -> … }`. */
operator fun SpoolListener.Companion.invoke(block: (event: SpoolEvent) -> Unit): SpoolListener =
    object : SpoolListener {
        override fun onEvent(event: SpoolEvent) = block(event)
    }

/** A credentials provider from a lambda: `CredentialsProvider { fetchFromMyServer() }`. */
operator fun CredentialsProvider.Companion.invoke(block: () -> Credentials): CredentialsProvider =
    object : CredentialsProvider {
        override fun credentials(): Credentials = block()
    }

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
