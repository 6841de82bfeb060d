//! Android: the platform's certificate verifier needs the app's `Context` (through JNI) before it can
//! answer. Until `OssAppendAndroid.initPlatformVerifier(context)` is called, clients trust Mozilla's
//! bundled roots; a client whose first HTTPS connection comes after it trusts what the phone trusts
//! (user and enterprise CAs too).

use jni::errors::ThrowRuntimeExAndDefault;
use jni::objects::{JClass, JObject};
use jni::EnvUnowned;

/// `oss.append.OssAppendAndroid.initPlatformVerifier(Context)`: hands the verifier the app's context.
/// A failure is thrown as a `RuntimeException`; calling it again is harmless.
#[no_mangle]
pub extern "system" fn Java_oss_append_OssAppendAndroid_initPlatformVerifier<'caller>(
    mut unowned_env: EnvUnowned<'caller>,
    _class: JClass<'caller>,
    context: JObject<'caller>,
) {
    unowned_env
        .with_env(|env| -> jni::errors::Result<()> {
            rustls_platform_verifier::android::init_with_env(env, context)?;
            crate::net::tls::platform_ready();
            Ok(())
        })
        .resolve::<ThrowRuntimeExAndDefault>()
}
