import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.0"
}

// The repository root, where `cargo ndk` builds the library.
val repoRoot: File = rootDir.resolve("../..").canonicalFile
val jniLibsDir: File = layout.buildDirectory.dir("jniLibs").get().asFile

android {
    namespace = "oss.append"
    compileSdk = 35

    defaultConfig {
        // java.time (Instant in Credentials.expiration) needs API 26.
        minSdk = 26
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets["main"].apply {
        kotlin.srcDir(repoRoot.resolve("bindings/kotlin/src/main/kotlin"))
        // OssAppendAndroid.initPlatformVerifier(context), Android only.
        kotlin.srcDir("src/main/kotlin")
        jniLibs.srcDir(jniLibsDir)
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    publishing {
        singleVariant("release")
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    // The generated binding calls the library through JNA; the AAR flavour carries libjnidispatch.so.
    api("net.java.dev.jna:jna:5.15.0@aar")
    // appendAsync and appendFileAsync are suspend functions.
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.9.0")
    // Android's certificate verifier for rustls (settings.gradle.kts finds its repository).
    implementation("rustls:rustls-platform-verifier:latest.release")
}

// liboss_append.so for every ABI, release profile (size-tuned in the root Cargo.toml), feature mobile
// without the C ABI (the default feature c-api), which the Kotlin binding does not call.
// Needs cargo-ndk (`cargo install cargo-ndk`), the Rust targets and ANDROID_NDK_HOME.
val cargoNdk by tasks.registering(Exec::class) {
    group = "build"
    description = "Builds liboss_append.so for arm64-v8a, armeabi-v7a, x86_64 and x86 with cargo-ndk"
    workingDir = repoRoot
    environment("CARGO_TARGET_DIR", repoRoot.resolve("target/android").path)
    commandLine(
        "cargo", "ndk",
        "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64", "-t", "x86",
        "--platform", "26",
        "-o", jniLibsDir.path,
        "build", "--release", "--lib", "--no-default-features", "--features", "mobile",
    )
    inputs.dir(repoRoot.resolve("src"))
    inputs.file(repoRoot.resolve("Cargo.toml"))
    inputs.file(repoRoot.resolve("Cargo.lock"))
    outputs.dir(jniLibsDir)
}

tasks.named("preBuild") {
    dependsOn(cargoNdk)
}
