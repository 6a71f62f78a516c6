//! The integrator's example (`examples/integrator/integrate.py`), run as CI runs it: three
//! `pactum-node run` processes set up from the README, an order proposed, read and accepted,
//! EPCIS and CAP documents pushed, every notification and obligation received by webhook with
//! its `Pactum-Signature` checked, the bundle verified by `pactum-verify`. The script is the
//! test: it exits non-zero naming the step that did not hold.

use std::{path::Path, process::Command};

#[test]
fn the_integrators_example_script_runs_against_real_nodes() {
    let node = Path::new(env!("CARGO_BIN_EXE_pactum-node"));
    let bin_dir = node.parent().unwrap();
    let verify = bin_dir.join("pactum-verify");
    if !verify.exists() {
        // `cargo test --workspace` builds it (the verifier's own tests need it); a lone
        // `cargo test -p pactum-node` may not have.
        let built = Command::new(env!("CARGO"))
            .args([
                "build",
                "--locked",
                "-p",
                "verifier",
                "--bin",
                "pactum-verify",
            ])
            .status()
            .unwrap();
        assert!(built.success(), "cannot build pactum-verify");
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/integrator/integrate.py");
    let output = Command::new("python3")
        .arg(&script)
        .env("PACTUM_BIN_DIR", bin_dir)
        .env("WAIT_SECONDS", "120")
        .output()
        .expect("python3 runs the example (installed by .ci/run's environment)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the example failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    for step in [
        "reads 3 clauses",
        "/buyer-erp got entry",
        "(signature valid)",
        "done: every step held",
    ] {
        assert!(stdout.contains(step), "no {step:?} in\n{stdout}");
    }
}
