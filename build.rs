//! Keeps `include/oss_append.h` in step with `src/ffi`: cbindgen regenerates it whenever the C ABI
//! changes, and writes it only when its text differs, so a build never touches it needlessly.
//! `scripts/check-header.sh` regenerates it in CI and fails if the checked-in copy differs.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    // A hand edit of the generated header is undone (and so caught by the CI check).
    println!("cargo:rerun-if-changed=include/oss_append.h");
    println!("cargo:rerun-if-env-changed=OSS_APPEND_REGENERATE_HEADER");

    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let crate_dir = Path::new(&crate_dir);
    let required = std::env::var_os("OSS_APPEND_REGENERATE_HEADER").is_some_and(|v| v == "1");
    // A packaged copy of the crate has no include/ folder to keep in step: leave it alone.
    if !crate_dir.join("include").is_dir() && !required {
        return;
    }
    if let Err(message) = regenerate(crate_dir) {
        if required {
            panic!("cannot generate include/oss_append.h: {message}");
        }
        println!("cargo:warning=include/oss_append.h was not regenerated: {message}");
    }
}

fn regenerate(crate_dir: &Path) -> Result<(), String> {
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).map_err(|e| e.to_string())?;
    // The version macros, from the crate's version (oss_append_version() returns the same string).
    let part = |name: &str| std::env::var(name).unwrap_or_else(|_| "0".to_string());
    let (major, minor, patch) =
        (part("CARGO_PKG_VERSION_MAJOR"), part("CARGO_PKG_VERSION_MINOR"), part("CARGO_PKG_VERSION_PATCH"));
    config.after_includes = Some(format!(
        "\n/** The library's version, as oss_append_version() returns it at run time. */\n\
         #define OSS_APPEND_VERSION_MAJOR {major}\n\
         #define OSS_APPEND_VERSION_MINOR {minor}\n\
         #define OSS_APPEND_VERSION_PATCH {patch}\n\
         #define OSS_APPEND_VERSION_STRING \"{}\"\n\
         /** MAJOR * 10000 + MINOR * 100 + PATCH, for #if. */\n\
         #define OSS_APPEND_VERSION_NUMBER ({major} * 10000 + {minor} * 100 + {patch})\n",
        std::env::var("CARGO_PKG_VERSION").unwrap_or_default()
    ));
    // Only src/ffi/mod.rs and the modules it declares are parsed: the header is the C ABI and
    // nothing else of the crate.
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src").join("ffi").join("mod.rs"))
        .generate()
        .map_err(|e| e.to_string())?;
    let mut text = Vec::new();
    bindings.write(&mut text);
    let path = crate_dir.join("include").join("oss_append.h");
    if std::fs::read(&path).ok().as_deref() != Some(text.as_slice()) {
        std::fs::create_dir_all(crate_dir.join("include")).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}
