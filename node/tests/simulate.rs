//! The deterministic protocol simulator (`pactum_node::sim`) over a fixed set of seeds, honest
//! and with a sequencer that signs a second body after each commit. A failure names its seed;
//! `pactum-node simulate --seed N` replays it. Longer campaigns:
//! `PACTUM_SIM_SEEDS=5000 cargo test --release -p pactum-node --test simulate`.

use pactum_node::sim::{run, SimConfig, SimError};

fn seeds() -> u64 {
    std::env::var("PACTUM_SIM_SEEDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(100)
}

fn campaign(byzantine_sequencer: bool) -> (u64, u64) {
    let (mut committed, mut proofs) = (0, 0);
    for seed in 0..seeds() {
        let config = SimConfig {
            seed,
            steps: 200,
            byzantine_sequencer,
        };
        match run(config) {
            Ok(report) => {
                committed += report.committed;
                proofs += report.proofs_kept;
            }
            Err(SimError::Violation(violation)) => panic!("{violation}"),
            Err(error) => panic!("seed {seed}: {error}"),
        }
    }
    (committed, proofs)
}

#[test]
fn an_honest_sequencer_is_never_convicted_and_parties_converge() {
    let (committed, proofs) = campaign(false);
    assert!(committed > 0, "the runs committed nothing");
    assert_eq!(proofs, 0);
}

#[test]
fn a_sequencer_that_signs_two_bodies_is_always_convicted() {
    let (committed, proofs) = campaign(true);
    assert!(committed > 0);
    assert!(proofs > 0, "no proof was kept");
}

#[test]
fn a_seed_replays_exactly() {
    let config = SimConfig {
        seed: 42,
        steps: 200,
        byzantine_sequencer: true,
    };
    let first = run(config).unwrap();
    assert_eq!(run(config).unwrap(), first);
}
