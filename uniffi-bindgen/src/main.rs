//! `uniffi-bindgen`, at the library's exact uniffi version: generates the Kotlin and Swift
//! sources from the built library (`scripts/generate-bindings.sh` runs it).

fn main() {
    uniffi::uniffi_bindgen_main()
}
