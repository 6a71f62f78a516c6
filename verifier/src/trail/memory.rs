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
            Lang::Zh => format!("本浏览器首次验证此日志：已记住其检查点（日志大小{size}），之后的回滚或改写都会被发现。"),
            Lang::De => format!("Erste Prüfung dieses Logs in diesem Browser: sein Prüfpunkt (Loggröße {size}) wird gemerkt, damit ein späteres Zurücksetzen oder Umschreiben auffällt."),
        },
        Consistency::Unchanged => match lang {
            Lang::En => format!("The same log checkpoint (log size {size}) as verified before in this browser."),
            Lang::Zh => format!("与本浏览器之前验证的日志检查点相同（日志大小{size}）。"),
            Lang::De => format!("Derselbe Log-Prüfpunkt (Loggröße {size}) wie bei der früheren Prüfung in diesem Browser."),
        },
        Consistency::Extended { from, basis } => {
            let grew = match lang {
                Lang::En => format!("The log grew from size {from} to {size} since this browser last verified it"),
                Lang::Zh => format!("自本浏览器上次验证以来，日志从{from}增长到{size}"),
                Lang::De => format!("Das Log ist seit der letzten Prüfung in diesem Browser von {from} auf {size} gewachsen"),
            };
            let because = match (basis, lang) {
                (GrowthBasis::Proof, Lang::En) => "; a consistency proof in the bundle shows it only grew.".to_string(),
                (GrowthBasis::Proof, Lang::Zh) => "；文件中的一致性证明表明它只是增长。".to_string(),
                (GrowthBasis::Proof, Lang::De) => "; ein Konsistenzbeweis im Bündel zeigt, dass es nur gewachsen ist.".to_string(),
                (GrowthBasis::Witnesses { names }, Lang::En) => format!("; the witnesses {} cosigned the new checkpoint, and each checks that the log only grew before it cosigns.", names.join(", ")),
                (GrowthBasis::Witnesses { names }, Lang::Zh) => format!("；见证方{}联署了新检查点，每个见证方在联署前都会检查日志只是增长。", names.join("、")),
                (GrowthBasis::Witnesses { names }, Lang::De) => format!("; die Zeugen {} haben den neuen Prüfpunkt mitsigniert und prüfen vorher jeweils, dass das Log nur gewachsen ist.", names.join(", ")),
            };
            grew + &because
        }
    }
}

/// A step-8 failure in words a customer follows: what this browser remembered, what the bundle
/// shows, and what that means. None for any other failure. (The signed checkpoints themselves
/// are the [`evidence`], shown folded.)
pub fn explanation(lang: Lang, error: &VerifyError) -> Option<String> {
    let VerifyError::Consistency(error) = error else {
        return None;
    };
    Some(match error {
        ConsistencyError::Rollback(e) => {
            let (was, now) = (e.previous_size, e.presented_size);
            match lang {
                Lang::En => format!("Your browser remembered this log with {was} entries, verified earlier; this bundle shows it with only {now}. A log only ever grows, so someone has cut history short and is presenting an older state as the latest."),
                Lang::Zh => format!("您的浏览器记得此日志之前验证时有{was}条记录；本文件显示它只有{now}条。日志只会增长，因此有人截短了历史，把较早的状态当作最新状态出示。"),
                Lang::De => format!("Ihr Browser hat sich dieses Log mit {was} Einträgen aus einer früheren Prüfung gemerkt; dieses Bündel zeigt es mit nur {now}. Ein Log wächst nur, also hat jemand den Verlauf gekürzt und legt einen älteren Stand als den neuesten vor."),
            }
        }
        ConsistencyError::Fork(e) => {
            let (was, now) = (e.previous_size, e.presented_size);
            match lang {
                Lang::En => format!("Your browser remembered this log with {was} entries, verified earlier; this bundle shows it with {now} entries that do not continue the ones remembered. The same log signed two different histories."),
                Lang::Zh => format!("您的浏览器记得此日志之前验证时有{was}条记录；本文件显示的{now}条记录并不是所记得记录的延续。同一日志签署了两份不同的历史。"),
                Lang::De => format!("Ihr Browser hat sich dieses Log mit {was} Einträgen aus einer früheren Prüfung gemerkt; dieses Bündel zeigt es mit {now} Einträgen, die die gemerkten nicht fortsetzen. Dasselbe Log hat zwei verschiedene Verläufe signiert."),
            }
        }
        ConsistencyError::OrderShortened(e) => {
            let seq = e.seq;
            match lang {
                Lang::En => format!("Your browser verified this order up to entry #{seq} earlier; this bundle ends before it. Entries of the order have been left out."),
                Lang::Zh => format!("您的浏览器之前已验证此订单至第{seq}条记录；本文件在该记录之前就结束了。订单的记录被删去了。"),
                Lang::De => format!("Ihr Browser hat diesen Auftrag früher bis Eintrag #{seq} geprüft; dieses Bündel endet davor. Einträge des Auftrags wurden weggelassen."),
            }
        }
        ConsistencyError::EntryReplaced(e) => {
            let seq = e.seq;
            match lang {
                Lang::En => format!("Your browser verified entry #{seq} of this order earlier; this bundle has a different entry #{seq}. The order's history has been rewritten."),
                Lang::Zh => format!("您的浏览器之前验证过此订单的第{seq}条记录；本文件中的第{seq}条记录与之不同。订单的历史被改写了。"),
                Lang::De => format!("Ihr Browser hat Eintrag #{seq} dieses Auftrags früher geprüft; dieses Bündel hat einen anderen Eintrag #{seq}. Der Verlauf des Auftrags wurde umgeschrieben."),
            }
        }
        ConsistencyError::Unproven { previous, presented } => match lang {
            Lang::En => format!("Your browser remembered this log with {previous} entries; this bundle shows {presented}, but carries nothing that shows the log only grew (no consistency proof, not enough witnesses). Ask the sender for a bundle with a proof from size {previous}."),
            Lang::Zh => format!("您的浏览器记得此日志有{previous}条记录；本文件显示{presented}条，但没有任何内容证明日志只是增长（没有一致性证明，见证方也不足）。请向发送方索取含有自{previous}起一致性证明的文件。"),
            Lang::De => format!("Ihr Browser hat sich dieses Log mit {previous} Einträgen gemerkt; dieses Bündel zeigt {presented}, belegt aber nicht, dass das Log nur gewachsen ist (kein Konsistenzbeweis, nicht genug Zeugen). Bitten Sie den Absender um ein Bündel mit einem Beweis ab Größe {previous}."),
        },
        ConsistencyError::Remembered(_) => return None,
    })
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
            Lang::Zh => format!("本浏览器之前验证的第{seq}条记录："),
            Lang::De => format!("Früher in diesem Browser geprüfter Eintrag #{seq}:"),
        },
        hash: Some(evidence.remembered.to_string()),
        note: None,
    }];
    out.push(match evidence.presented {
        Some(hash) => Evidence {
            label: match lang {
                Lang::En => format!("This bundle's entry #{seq}:"),
                Lang::Zh => format!("本文件的第{seq}条记录："),
                Lang::De => format!("Eintrag #{seq} dieses Bündels:"),
            },
            hash: Some(hash.to_string()),
            note: None,
        },
        None => Evidence {
            label: match lang {
                Lang::En => format!("This bundle ends before entry #{seq}."),
                Lang::Zh => format!("本文件在第{seq}条记录之前结束。"),
                Lang::De => format!("Dieses Bündel endet vor Eintrag #{seq}."),
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
        (Lang::Zh, Some(size)) => format!("本浏览器之前验证的检查点（日志大小{size}）："),
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
        (Lang::Zh, Some(size)) => format!("本文件出示的检查点（日志大小{size}）："),
        (Lang::Zh, None) => "本文件出示的检查点：".into(),
        (Lang::De, Some(size)) => {
            format!("Prüfpunkt, den dieses Bündel vorlegt (Loggröße {size}):")
        }
        (Lang::De, None) => "Prüfpunkt, den dieses Bündel vorlegt:".into(),
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
                if lang == Lang::Zh {
                    let stray = contract_lang::render::spaces_beside_chinese(&text);
                    assert!(
                        stray.is_empty(),
                        "a space beside a Chinese character: {text}"
                    );
                }
            }
        }
    }
}
