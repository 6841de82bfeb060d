package oss.append

/**
 * The other process of [SpoolTest.aSpoolWrittenByOneProcessIsSentByTheNext]: writes records to a
 * spool while the emulator refuses every append, closes it, and exits, leaving them in the journal.
 * Arguments: spool directory, emulator endpoint, object key, record count.
 */
object SpoolChild {
    @JvmStatic
    fun main(args: Array<String>) {
        val (dir, endpoint, key, count) = args
        val client = OssClient(TestSettings.configFor(endpoint, maxAttempts = 1), TestSettings.KEYS)
        val spool = Spool.open(client, dir, SpoolConfig(bucket = TestEmulator.BUCKET, keyTemplate = key, sync = SpoolSync.EVERY_WRITE))
        repeat(count.toInt()) { i -> spool.writeWithMark("record $i\n".toByteArray(), byteArrayOf(i.toByte())) }
        spool.close()
        println("wrote $count")
    }
}
