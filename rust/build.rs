//! Embeds a fingerprint of the crate's sources (`amberline._core.SOURCES`), so that Python can
//! tell a core built from these sources from one built before a pull: a stale build may still
//! have every class and give different output, which no attribute check would notice.
//!
//! The fingerprint is zlib's CRC-32 over, for each file in order of its path relative to the
//! crate (`/` separated): the path, a NUL byte, the file's bytes, a NUL byte. Python computes
//! the same (`amberline.core.source_fingerprint`) with `zlib.crc32`.

use std::fs;
use std::path::{Path, PathBuf};

fn crc32(mut crc: u32, bytes: &[u8]) -> u32 {
    crc = !crc;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("rust/src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let mut files = vec![
        root.join("Cargo.toml"),
        root.join("Cargo.lock"),
        root.join("build.rs"),
    ];
    rust_files(&root.join("src"), &mut files);
    let mut named: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&root).expect("under the crate");
            let name: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            (name.join("/"), p)
        })
        .collect();
    named.sort();
    let mut crc = 0u32;
    for (name, path) in &named {
        let bytes = fs::read(path).expect("a source file is readable");
        crc = crc32(crc, name.as_bytes());
        crc = crc32(crc, &[0]);
        crc = crc32(crc, &bytes);
        crc = crc32(crc, &[0]);
    }
    println!("cargo:rustc-env=AMBERLINE_CORE_SOURCES={crc:08x}");
    for watched in ["src", "Cargo.toml", "Cargo.lock", "build.rs"] {
        println!("cargo:rerun-if-changed={watched}");
    }
}
