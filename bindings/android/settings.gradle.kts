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

dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "oss-append"
