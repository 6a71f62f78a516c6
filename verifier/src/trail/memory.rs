//! What the page says about step 8, the memory of earlier verifications in this browser: the
//! finding for a valid bundle (first seen, unchanged, grown and on what basis) and, for a
//! rollback, a fork or a rewritten order, both sides of the evidence.

use serde::Serialize;

use super::Lang;
use crate::bundle::{
    CheckpointEvidence, Consistency, ConsistencyError, GrowthBasis, HeadEvidence, VerifyError,
};

/// One piece of evidence: what it is, in the reader's language, and the signed checkpoint or
/// entry hash it shows (data, not words).
#[derive(Debug, Serialize)]
pub struct Evidence {
    pub label: String,
    pub hash: Option<String>,
    pub note: Option<String>,
}

/// Step 8's finding for a valid bundle whose log checkpoint has `size` leaves.
pub fn finding(lang: Lang, consistency: &Consistency, size: u64) -> String {
    match consistency {
        Consistency::FirstSeen => match lang {
            Lang::En => format!("First verification of this log in this browser: its checkpoint (log size {size}) is remembered, so a later rollback or rewrite is caught."),
            Lang::Zh => format!("本浏览器首次验证此日志：已记住其检查点（日志大小 {size}），之后的回滚或改写都会被发现。"),
            Lang::De => format!("Erste Prüfung dieses Logs in diesem Browser: sein Prüfpunkt (Loggröße {size}) wird gemerkt, damit ein späteres Zurücksetzen oder Umschreiben auffällt."),
        },
        Consistency::Unchanged => match lang {
            Lang::En => format!("The same log checkpoint (log size {size}) as verified before in this browser."),
            Lang::Zh => format!("与本浏览器之前验证的日志检查点相同（日志大小 {size}）。"),
            Lang::De => format!("Derselbe Log-Prüfpunkt (Loggröße {size}) wie bei der früheren Prüfung in diesem Browser."),
        },
        Consistency::Extended { from, basis } => {
            let grew = match lang {
                Lang::En => format!("The log grew from size {from} to {size} since this browser last verified it"),
                Lang::Zh => format!("自本浏览器上次验证以来，日志从 {from} 增长到 {size}"),
                Lang::De => format!("Das Log ist seit der letzten Prüfung in diesem Browser von {from} auf {size} gewachsen"),
            };
            let because = match (basis, lang) {
                (GrowthBasis::Proof, Lang::En) => "; a consistency proof in the bundle shows it only grew.".to_string(),
                (GrowthBasis::Proof, Lang::Zh) => "；文件中的一致性证明表明它只是增长。".to_string(),
                (GrowthBasis::Proof, Lang::De) => "; ein Konsistenzbeweis im Bundle zeigt, dass es nur gewachsen ist.".to_string(),
                (GrowthBasis::Witnesses { names }, Lang::En) => format!("; the witnesses {} cosigned the new checkpoint, and each checks that the log only grew before it cosigns.", names.join(", ")),
                (GrowthBasis::Witnesses { names }, Lang::Zh) => format!("；见证方 {} 联署了新检查点，每个见证方在联署前都会检查日志只是增长。", names.join("、")),
                (GrowthBasis::Witnesses { names }, Lang::De) => format!("; die Zeugen {} haben den neuen Prüfpunkt mitsigniert und prüfen vorher jeweils, dass das Log nur gewachsen ist.", names.join(", ")),
            };
            grew + &because
        }
    }
}

/// Both sides of a step-8 failure: the checkpoint (or entry) this browser verified before and
/// what the bundle presents. Empty for any other failure.
pub fn evidence(lang: Lang, error: &VerifyError) -> Vec<Evidence> {
    match error {
        VerifyError::Consistency(
            ConsistencyError::Rollback(evidence) | ConsistencyError::Fork(evidence),
        ) => checkpoints(lang, evidence),
        VerifyError::Consistency(
            ConsistencyError::OrderShortened(evidence) | ConsistencyError::EntryReplaced(evidence),
        ) => order_entries(lang, evidence),
        _ => Vec::new(),
    }
}

fn checkpoints(lang: Lang, evidence: &CheckpointEvidence) -> Vec<Evidence> {
    vec![
        Evidence {
            label: earlier_checkpoint(lang, Some(evidence.previous_size)),
            hash: None,
            note: Some(evidence.previous.clone()),
        },
        Evidence {
            label: presented_checkpoint(lang, Some(evidence.presented_size)),
            hash: None,
            note: Some(evidence.presented.clone()),
        },
    ]
}

fn order_entries(lang: Lang, evidence: &HeadEvidence) -> Vec<Evidence> {
    let seq = evidence.seq;
    let mut out = vec![Evidence {
        label: match lang {
            Lang::En => format!("Entry #{seq} verified earlier in this browser:"),
            Lang::Zh => format!("本浏览器之前验证的第 {seq} 条记录："),
            Lang::De => format!("Früher in diesem Browser geprüfter Eintrag #{seq}:"),
        },
        hash: Some(evidence.remembered.to_string()),
        note: None,
    }];
    out.push(match evidence.presented {
        Some(hash) => Evidence {
            label: match lang {
                Lang::En => format!("This bundle's entry #{seq}:"),
                Lang::Zh => format!("本文件的第 {seq} 条记录："),
                Lang::De => format!("Eintrag #{seq} dieses Bundles:"),
            },
            hash: Some(hash.to_string()),
            note: None,
        },
        None => Evidence {
            label: match lang {
                Lang::En => format!("This bundle ends before entry #{seq}."),
                Lang::Zh => format!("本文件在第 {seq} 条记录之前结束。"),
                Lang::De => format!("Dieses Bundle endet vor Eintrag #{seq}."),
            },
            hash: None,
            note: None,
        },
    });
    if let Some(previous) = &evidence.previous_checkpoint {
        out.push(Evidence {
            label: earlier_checkpoint(lang, None),
            hash: None,
            note: Some(previous.clone()),
        });
    }
    out.push(Evidence {
        label: presented_checkpoint(lang, None),
        hash: None,
        note: Some(evidence.presented_checkpoint.clone()),
    });
    out
}

fn earlier_checkpoint(lang: Lang, size: Option<u64>) -> String {
    match (lang, size) {
        (Lang::En, Some(size)) => {
            format!("Checkpoint verified earlier in this browser (log size {size}):")
        }
        (Lang::En, None) => "Checkpoint verified earlier in this browser:".into(),
        (Lang::Zh, Some(size)) => format!("本浏览器之前验证的检查点（日志大小 {size}）："),
        (Lang::Zh, None) => "本浏览器之前验证的检查点：".into(),
        (Lang::De, Some(size)) => {
            format!("Früher in diesem Browser geprüfter Prüfpunkt (Loggröße {size}):")
        }
        (Lang::De, None) => "Früher in diesem Browser geprüfter Prüfpunkt:".into(),
    }
}

fn presented_checkpoint(lang: Lang, size: Option<u64>) -> String {
    match (lang, size) {
        (Lang::En, Some(size)) => format!("Checkpoint this bundle presents (log size {size}):"),
        (Lang::En, None) => "Checkpoint this bundle presents:".into(),
        (Lang::Zh, Some(size)) => format!("本文件出示的检查点（日志大小 {size}）："),
        (Lang::Zh, None) => "本文件出示的检查点：".into(),
        (Lang::De, Some(size)) => {
            format!("Prüfpunkt, den dieses Bundle vorlegt (Loggröße {size}):")
        }
        (Lang::De, None) => "Prüfpunkt, den dieses Bundle vorlegt:".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finding_names_the_sizes_in_every_language() {
        let findings = [
            Consistency::FirstSeen,
            Consistency::Unchanged,
            Consistency::Extended {
                from: 6,
                basis: GrowthBasis::Proof,
            },
            Consistency::Extended {
                from: 6,
                basis: GrowthBasis::Witnesses {
                    names: vec!["w1".into()],
                },
            },
        ];
        for lang in [Lang::En, Lang::Zh, Lang::De] {
            for consistency in &findings {
                let text = finding(lang, consistency, 12);
                assert!(text.contains("12"), "{lang:?}: {text}");
                if matches!(consistency, Consistency::Extended { .. }) {
                    assert!(text.contains('6'), "{lang:?}: {text}");
                }
                if lang != Lang::En {
                    assert!(!text.contains("log "), "{lang:?}: {text}");
                }
            }
        }
    }
}
