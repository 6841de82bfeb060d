// The Android library module that packs the Rust library (jniLibs, built with cargo-ndk) and the
// generated Kotlin binding (bindings/kotlin/src/main/kotlin) into an AAR:
//   gradle -p bindings/android assembleRelease   ->  build/outputs/aar/oss-append-release.aar
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

// rustls-platform-verifier's Kotlin component (Android's certificate verifier, called through JNI)
// ships as a local Maven repository inside its Cargo package: found with cargo metadata, so its
// version always matches the Rust crate in Cargo.lock.
fun rustlsPlatformVerifierRepository(): java.io.File {
    val repoRoot = settingsDir.resolve("../..").canonicalFile
    val metadata = providers.exec {
        workingDir = repoRoot
        commandLine(
            "cargo", "metadata", "--format-version", "1", "--filter-platform", "aarch64-linux-android",
            "--manifest-path", repoRoot.resolve("Cargo.toml").path,
        )
    }.standardOutput.asText.get()
    @Suppress("UNCHECKED_CAST")
    val packages = (groovy.json.JsonSlurper().parseText(metadata) as Map<String, Any>)["packages"] as List<Map<String, Any>>
    val manifest = packages.first { it["name"] == "rustls-platform-verifier-android" }["manifest_path"] as String
    return java.io.File(manifest).parentFile.resolve("maven")
}

dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
        maven {
            url = uri(rustlsPlatformVerifierRepository())
            metadataSources.artifact()
        }
    }
}

rootProject.name = "oss-append"
