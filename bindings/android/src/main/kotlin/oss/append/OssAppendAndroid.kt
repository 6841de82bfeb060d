package oss.append

import android.content.Context

/**
 * Android setup. Call once, before making clients (for example in `Application.onCreate`):
 *
 *     OssAppendAndroid.initPlatformVerifier(applicationContext)
 *
 * Clients made afterwards verify HTTPS certificates with Android's own verifier: what the phone
 * trusts, user and enterprise certificate authorities included, and revocation as Android checks it.
 * A client whose first HTTPS connection came before it keeps trusting Mozilla's root certificates
 * bundled in the library.
 */
object OssAppendAndroid {
    init {
        System.loadLibrary("oss_append")
    }

    /** Hands the platform verifier the app's context; calling it again does nothing more. */
    @JvmStatic
    external fun initPlatformVerifier(context: Context)
}
