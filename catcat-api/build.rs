//! Link options for the shipped binary (release builds on Linux with the GNU C library, where
//! the toolchain links with LLD):
//! - `-z pack-relative-relocs` stores the position-independent executable's relocations in the
//!   compact RELR form instead of one 24-byte record each (needs glibc 2.36 at run time);
//! - `--icf=all` folds functions whose machine code is identical (monomorphised copies).
//!
//! Both shrink the binary without touching code generation; measured in the session notes.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("PROFILE") == "release"
        && var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        println!("cargo:rustc-link-arg-bins=-Wl,--icf=all");
    }
}
