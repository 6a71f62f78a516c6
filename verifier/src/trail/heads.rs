//! What the page says about the parties' signed heads it fetched (step 9 on a verified bundle):
//! whether the bundle is the latest, in the reader's language.

use contract_lang::render::Glossary;
use contract_lang::untrusted;
use serde::Serialize;

use super::{order_words, role, time, words, Lang};
use crate::bundle::{check_heads, Freshness, HeadError, Report, SignedHead, VerifyError};

/// The step that checks the heads a verifier is shown (`pactum-verify --head`).
const HEADS_STEP: u8 = 9;

/// One party's head, checked against the verified bundle.
#[derive(Debug, Serialize)]
pub struct HeadView {
    /// `current`; `stale` (it names entries the bundle lacks); `invalid` (a head validly signed
    /// by a party of the order that names another entry at a position the bundle holds: two
    /// histories, so the page's verdict is INVALID, as `pactum-verify --head` exits 1); or
    /// `refused` (not a head of this order validly signed by one of its parties: it proves
    /// nothing either way).
    pub status: &'static str,
    pub text: String,
    /// For `invalid`: the bundle's entry and the head's, as hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<[String; 2]>,
    /// For `invalid`: the check that failed, shown with the verdict as a failed step is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<HeadFailure>,
}

/// Step 9 (the presented heads) failed: what the verdict box says, like a failed step of the
/// bundle's own verification.
#[derive(Debug, Serialize)]
pub struct HeadFailure {
    pub step: u8,
    pub step_name: &'static str,
    pub reason: String,
}

/// A party's node that did not answer for its head, named by its role in the trust file's
/// `heads` (none for the share link's own address: the node that served the page).
pub fn unreachable(lang: Lang, report: Option<&Report>, party: Option<&str>) -> String {
    // The trust file's role names are someone's text: shown escaped, like attested fields.
    let words = report.map_or(Glossary::STANDARD, order_words);
    let party = party.map(|party| untrusted::escape(&role(lang, words, party)).into_owned());
    match (party, lang) {
        (Some(party), Lang::En) => format!("could not reach the {party}'s node"),
        (Some(party), Lang::Zh) => format!("无法连接{party}的节点"),
        (Some(party), Lang::De) => format!("Knoten nicht erreichbar: {party}"),
        (None, Lang::En) => "could not reach the node that served this page".to_string(),
        (None, Lang::Zh) => "无法连接提供此页面的节点".to_string(),
        (None, Lang::De) => {
            "Der Knoten, der diese Seite geliefert hat, ist nicht erreichbar".to_string()
        }
    }
}

/// The head in `bytes` (what `GET /orders/{id}/head` or a share link's `/head` serves) against
/// the verified `report`, with the same code as `pactum-verify --head`.
pub fn head_view(lang: Lang, report: &Report, bytes: &[u8]) -> HeadView {
    let Ok(signed) = SignedHead::from_bytes(bytes) else {
        return refused(lang, None);
    };
    let seq = signed.head().map(|head| head.seq).unwrap_or_default();
    let signer = role(lang, order_words(report), &signed.signer);
    match check_heads(report, std::slice::from_ref(&signed)) {
        Ok(Freshness::Stale {
            head_seq,
            head_at,
            missing_from: from,
            missing_to: to,
            ..
        }) => {
            let at = time(lang, head_at);
            let missing = crate::timeline::missing_entries(lang, from, to);
            HeadView {
                status: "stale",
                text: match lang {
                    Lang::En => format!("STALE: {missing} missing — {signer} signed a head naming entry #{head_seq} ({at})"),
                    Lang::Zh => format!("过期：缺少{missing}——{signer}签署的最新记录声明指向第{head_seq}条（{at}）"),
                    Lang::De => format!("VERALTET: {missing} — {signer} hat eine Standmeldung mit Eintrag #{head_seq} ({at}) signiert"),
                },
                evidence: None,
                failure: None,
            }
        }
        Ok(_) => HeadView {
            status: "current",
            text: match lang {
                Lang::En => format!("current as of entry #{seq} ({signer}'s signed head)"),
                Lang::Zh => format!("截至第{seq}条记录为最新（{signer}签署的最新记录声明）"),
                Lang::De => {
                    format!("aktuell mit Stand Eintrag #{seq} (signierte Standmeldung: {signer})")
                }
            },
            evidence: None,
            failure: None,
        },
        Err(HeadError::Conflict {
            seq, entry, head, ..
        }) => {
            let reason = match lang {
                Lang::En => format!("{signer} signed a head naming another entry #{seq} than this bundle's — two histories of this order were signed"),
                Lang::Zh => format!("{signer}签署的最新记录声明所指的第{seq}条记录与本文件中的不同——此订单被签署了两份历史"),
                Lang::De => format!("{signer} hat eine Standmeldung mit einem anderen Eintrag #{seq} als in diesem Bündel signiert — für diesen Auftrag wurden zwei Verläufe signiert"),
            };
            let invalid = match lang {
                Lang::En => "INVALID: ",
                Lang::Zh => "无效：",
                Lang::De => "UNGÜLTIG: ",
            };
            HeadView {
                status: "invalid",
                text: format!("{invalid}{reason}"),
                evidence: Some([entry.to_string(), head.to_string()]),
                failure: Some(HeadFailure {
                    step: HEADS_STEP,
                    step_name: words::step_name(lang, HEADS_STEP),
                    reason,
                }),
            }
        }
        Err(error) => refused(lang, Some(VerifyError::Head(error))),
    }
}

fn refused(lang: Lang, error: Option<VerifyError>) -> HeadView {
    let why = match error {
        Some(error) => words::reason(lang, &error, &|name| role(lang, Glossary::STANDARD, name)),
        None => match lang {
            Lang::En => "not a signed head".to_string(),
            Lang::Zh => "不是签名的最新记录声明".to_string(),
            Lang::De => "keine signierte Standmeldung".to_string(),
        },
    };
    let text = match lang {
        Lang::En => format!("not used ({why}): it proves nothing about this order"),
        Lang::Zh => format!("未采用（{why}）：它不能证明此订单的任何情况"),
        Lang::De => format!("nicht verwendet ({why}): sie belegt nichts über diesen Auftrag"),
    };
    HeadView {
        status: "refused",
        text,
        evidence: None,
        failure: None,
    }
}

/// As JSON, every string escaped like [`super::view_json`].
pub fn head_json(view: &HeadView) -> serde_json::Value {
    let mut value = serde_json::to_value(view).unwrap_or(serde_json::Value::Null);
    super::escape_strings(&mut value);
    value
}
