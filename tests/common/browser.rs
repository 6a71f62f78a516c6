//! The browser the page tests drive: headless Chromium (Debian's `/usr/bin/chromium`) through
//! Playwright for Python (`tests/browser/trail_page.py`).

use std::path::{Path, PathBuf};
use std::process::Command;

pub const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/trail_page.py");
const CODE_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/wasm_code.py");
const MODULE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/verifier/page/pkg/pactum_verify_wasm_bg.wasm"
);

/// Why the browser tests cannot run here, if they cannot. With `PACTUM_REQUIRE_BROWSER=1`
/// (which `.ci/run` sets after installing both) a missing browser fails the test instead.
pub fn browser_missing() -> Option<String> {
    let missing = if !Path::new("/usr/bin/chromium").exists() {
        Some("/usr/bin/chromium is not installed (apt-get install chromium)".to_string())
    } else {
        let playwright = Command::new("python3")
            .args(["-c", "import playwright.sync_api"])
            .output();
        match playwright {
            Ok(output) if output.status.success() => None,
            _ => Some("Playwright for Python is not installed (pip install playwright)".into()),
        }
    };
    if let Some(missing) = &missing {
        assert!(
            std::env::var("PACTUM_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "PACTUM_REQUIRE_BROWSER=1 but {missing}"
        );
        eprintln!("NOTICE: browser test skipped: {missing}. `.ci/run` installs both.");
    }
    missing
}

/// Where screenshots are kept.
pub fn artefacts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/trail-page")
}

/// Runs the checks `spec` describes (see `trail_page.py`); panics with the script's report when
/// the page does not show what the spec expects.
pub fn check(spec: &serde_json::Value, dir: &Path) {
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).expect("spec written");
    let output = Command::new("python3")
        .arg(SCRIPT)
        .arg("check")
        .arg(&spec_path)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the page does not show what it should:\n{stdout}\n{stderr}"
    );
}

/// The bytes of WebAssembly code `page` (made with the committed module) had the browser
/// compile before its verdict: the functions V8 compiled on their first call
/// (`trail_page.py called`), added up in the module's code section (`wasm_code.py total`).
pub fn code_before_verdict(page: &Path, dir: &Path) -> usize {
    let called = dir.join("called.txt");
    run_python(&[SCRIPT, "called"], &[page, &called]);
    let total = run_python(&[CODE_SCRIPT, "total", MODULE], &[&called]);
    total.trim().parse().expect("wasm_code.py prints a number")
}

fn run_python(arguments: &[&str], paths: &[&Path]) -> String {
    let output = Command::new("python3")
        .args(arguments)
        .args(paths)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{arguments:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
