//! What the page says about the parties' signed heads it fetched (step 9 on a verified bundle):
//! whether the bundle is the latest, in the reader's language.

use serde::Serialize;

use super::{role, time, words, Lang};
use crate::bundle::{check_heads, Freshness, HeadError, Report, SignedHead, VerifyError};

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
}

/// The head in `bytes` (what `GET /orders/{id}/head` or a share link's `/head` serves) against
/// the verified `report`, with the same code as `pactum-verify --head`.
pub fn head_view(lang: Lang, report: &Report, bytes: &[u8]) -> HeadView {
    let Ok(signed) = SignedHead::from_bytes(bytes) else {
        return refused(lang, None);
    };
    let seq = signed.head().map(|head| head.seq).unwrap_or_default();
    let signer = role(lang, &signed.signer);
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
                    Lang::Zh => format!("过期：缺少{missing}——{signer}签署的最新记录声明指向第 {head_seq} 条（{at}）"),
                    Lang::De => format!("VERALTET: {missing} — {signer} hat eine Standmeldung mit Eintrag #{head_seq} ({at}) signiert"),
                },
                evidence: None,
            }
        }
        Ok(_) => HeadView {
            status: "current",
            text: match lang {
                Lang::En => format!("current as of entry #{seq} ({signer}'s signed head)"),
                Lang::Zh => format!("截至第 {seq} 条记录为最新（{signer}签署的最新记录声明）"),
                Lang::De => format!("aktuell mit Stand Eintrag #{seq} (signierte Standmeldung: {signer})"),
            },
            evidence: None,
        },
        Err(HeadError::Conflict {
            seq, entry, head, ..
        }) => HeadView {
            status: "invalid",
            text: match lang {
                Lang::En => format!("INVALID: {signer} signed a head naming another entry #{seq} than this bundle's — two histories of this order were signed"),
                Lang::Zh => format!("无效：{signer}签署的最新记录声明所指的第 {seq} 条记录与本文件中的不同——此订单被签署了两份历史"),
                Lang::De => format!("UNGÜLTIG: {signer} hat eine Standmeldung mit einem anderen Eintrag #{seq} als in diesem Bündel signiert — für diesen Auftrag wurden zwei Verläufe signiert"),
            },
            evidence: Some([entry.to_string(), head.to_string()]),
        },
        Err(error) => refused(lang, Some(VerifyError::Head(error))),
    }
}

fn refused(lang: Lang, error: Option<VerifyError>) -> HeadView {
    let why = match error {
        Some(error) => words::reason(lang, &error, &|name| role(lang, name)),
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
    }
}

/// As JSON, every string escaped like [`super::view_json`].
pub fn head_json(view: &HeadView) -> serde_json::Value {
    let mut value = serde_json::to_value(view).unwrap_or(serde_json::Value::Null);
    super::escape_strings(&mut value);
    value
}
