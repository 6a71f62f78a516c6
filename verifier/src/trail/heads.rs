//! What the page says about the parties' signed heads it fetched (step 9 on a verified bundle):
//! whether the bundle is the latest, in the reader's language.

use serde::Serialize;

use super::{role, time, words, Lang};
use crate::bundle::{check_heads, Freshness, Report, SignedHead, VerifyError};

/// One party's head, checked against the verified bundle.
#[derive(Debug, Serialize)]
pub struct HeadView {
    /// `current`, `stale` or `invalid` (a head that contradicts the bundle or is not a valid
    /// head of this order).
    pub status: &'static str,
    pub text: String,
}

/// The head in `bytes` (what `GET /orders/{id}/head` or a share link's `/head` serves) against
/// the verified `report`, with the same code as `pactum-verify --head`.
pub fn head_view(lang: Lang, report: &Report, bytes: &[u8]) -> HeadView {
    let Ok(signed) = SignedHead::from_bytes(bytes) else {
        return invalid(lang, None);
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
            HeadView {
                status: "stale",
                text: match lang {
                    Lang::En => format!("STALE: entries #{from}..#{to} missing — {signer} signed a head naming entry #{head_seq} ({at})"),
                    Lang::Zh => format!("过期：缺少第 {from} 至 {to} 条记录——{signer}签署的头部指向第 {head_seq} 条（{at}）"),
                    Lang::De => format!("VERALTET: es fehlen die Einträge #{from} bis #{to} — {signer} hat einen Kopf mit Eintrag #{head_seq} ({at}) signiert"),
                },
            }
        }
        Ok(_) => HeadView {
            status: "current",
            text: match lang {
                Lang::En => format!("current as of entry #{seq} ({signer}'s signed head)"),
                Lang::Zh => format!("截至第 {seq} 条记录为最新（{signer}签署的头部）"),
                Lang::De => format!("aktuell mit Stand Eintrag #{seq} (signierter Kopf: {signer})"),
            },
        },
        Err(error) => invalid(lang, Some(VerifyError::Head(error))),
    }
}

fn invalid(lang: Lang, error: Option<VerifyError>) -> HeadView {
    let text = match error {
        Some(error) => words::reason(lang, &error, &|name| role(lang, name)),
        None => match lang {
            Lang::En => "not a signed head".to_string(),
            Lang::Zh => "不是签名头部".to_string(),
            Lang::De => "kein signierter Kopf".to_string(),
        },
    };
    HeadView {
        status: "invalid",
        text,
    }
}

/// As JSON, every string escaped like [`super::view_json`].
pub fn head_json(view: &HeadView) -> serde_json::Value {
    let mut value = serde_json::to_value(view).unwrap_or(serde_json::Value::Null);
    super::escape_strings(&mut value);
    value
}
