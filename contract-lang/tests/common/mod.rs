//! Golden-file helpers shared by contract-lang's data-driven tests.

use std::path::{Path, PathBuf};

/// Compares `actual` with the file at `expect_path`, or rewrites it when `UPDATE_EXPECT` is set.
pub fn expect_file(expect_path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(expect_path, actual).expect("write .expect");
        return;
    }
    let expected = std::fs::read_to_string(expect_path).unwrap_or_else(|_| {
        panic!(
            "missing {}; run with UPDATE_EXPECT=1",
            expect_path.display()
        )
    });
    assert!(
        expected == actual,
        "output differs from {} (UPDATE_EXPECT=1 refreshes it)\n--- expected\n{expected}\n--- actual\n{actual}",
        expect_path.display()
    );
}

/// The files in `dir` with extension `ext`, sorted; at least one must exist.
#[allow(dead_code)] // not every test binary lists a directory
pub fn inputs(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|_| panic!("{} exists", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|x| x == ext))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no .{ext} inputs in {}", dir.display());
    inputs
}
