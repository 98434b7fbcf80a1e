//! Compile-time behaviour: every `pass` case compiles, every `fail` case fails with exactly the
//! diagnostic in its `.stderr` file. Regenerate with `TRYBUILD=overwrite` after reviewing.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/*/pass/*.rs");
    t.compile_fail("ui/*/fail/*.rs");
}
