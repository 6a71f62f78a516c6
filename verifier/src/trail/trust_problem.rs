//! What the page says when a trust file cannot be used — its own (no verdict can be given) or
//! one dropped onto it (not used; the verdict shown stays) — in the reader's language: what is
//! wrong and what to do, from the [`TrustError`] variant; the parser's own message is kept as
//! a technical detail.

use contract_lang::render::quoted;
use serde::Serialize;

use super::{escape_strings, labels, Labels, Lang};
use crate::bundle::{Place, TrustError};

/// A trust file the verifier could not use, for the page.
#[derive(Debug, Serialize)]
pub struct TrustProblemView {
    pub lang: &'static str,
    /// [`TrustError::code`]: the page's `<body data-notice>` (a dropped file) or the code shown
    /// under the technical details.
    pub code: &'static str,
    /// The heading: "Not verified" for the page's own trust file, "File not used" for a
    /// dropped one.
    pub headline: &'static str,
    /// The dropped file's name, as the browser gives it; none for the page's own trust file.
    pub file: Option<String>,
    /// What is wrong, with where in the file when the parser said.
    pub what: String,
    /// What the reader can do.
    pub todo: &'static str,
    /// The parser's or checker's own message (English).
    pub detail: String,
    pub labels: &'static Labels,
}

/// The problem `error` with the page's own trust file (`file` none: nothing could be verified)
/// or with the file `file` dropped onto the page (not used: the page keeps its trust).
pub fn trust_problem(lang: Lang, error: &TrustError, file: Option<&str>) -> TrustProblemView {
    let dropped = file.is_some();
    let pick = |en: &'static str, zh: &'static str, de: &'static str| match lang {
        Lang::En => en,
        Lang::Zh => zh,
        Lang::De => de,
    };
    let place = error.place().map(|at| in_file(lang, at));
    let place = place.as_deref().unwrap_or_default();
    let what = match (error, dropped, lang) {
        (TrustError::Syntax { .. }, true, Lang::En) => {
            format!("This file is damaged or is not a trust file: it is neither JSON nor TOML{place}.")
        }
        (TrustError::Syntax { .. }, true, Lang::Zh) => {
            format!("该文件已损坏或不是信任文件：其格式无法识别{place}。")
        }
        (TrustError::Syntax { .. }, true, Lang::De) => format!(
            "Diese Datei ist beschädigt oder keine Vertrauensdatei: sie ist weder JSON noch TOML{place}."
        ),
        (TrustError::Syntax { .. }, false, Lang::En) => format!(
            "The trust file in this page is damaged: it is neither JSON nor TOML{place}."
        ),
        (TrustError::Syntax { .. }, false, Lang::Zh) => {
            format!("本页面内嵌的信任文件已损坏：其格式无法识别{place}。")
        }
        (TrustError::Syntax { .. }, false, Lang::De) => format!(
            "Die in diese Seite eingebettete Vertrauensdatei ist beschädigt: sie ist weder JSON noch TOML{place}."
        ),
        (TrustError::PartyKey { role, .. }, true, Lang::En) => {
            format!("This trust file's key for {} is not a valid key.", quoted(lang, role))
        }
        (TrustError::PartyKey { role, .. }, true, Lang::Zh) => {
            format!("该信任文件中{}的密钥不是有效密钥。", quoted(lang, role))
        }
        (TrustError::PartyKey { role, .. }, true, Lang::De) => {
            format!(
                "Der Schlüssel für {} in dieser Vertrauensdatei ist kein gültiger Schlüssel.",
                quoted(lang, role)
            )
        }
        (TrustError::PartyKey { role, .. }, false, Lang::En) => {
            format!(
                "The trust file in this page has a key for {} that is not a valid key.",
                quoted(lang, role)
            )
        }
        (TrustError::PartyKey { role, .. }, false, Lang::Zh) => {
            format!("本页面内嵌的信任文件中{}的密钥不是有效密钥。", quoted(lang, role))
        }
        (TrustError::PartyKey { role, .. }, false, Lang::De) => format!(
            "Der Schlüssel für {} in der eingebetteten Vertrauensdatei ist kein gültiger Schlüssel.",
            quoted(lang, role)
        ),
        // Not a trust file (and, never from reading, one that could not be written).
        (_, true, Lang::En) => {
            format!("This file is not a trust file Pactum can read{place}.")
        }
        (_, true, Lang::Zh) => format!("该文件不是本验证程序能读取的信任文件{place}。"),
        (_, true, Lang::De) => {
            format!("Diese Datei ist keine Vertrauensdatei, die Pactum lesen kann{place}.")
        }
        (_, false, Lang::En) => {
            format!("The trust file in this page is not one Pactum can read{place}.")
        }
        (_, false, Lang::Zh) => {
            format!("本页面内嵌的信任文件不是本验证程序能读取的信任文件{place}。")
        }
        (_, false, Lang::De) => format!(
            "Die in diese Seite eingebettete Vertrauensdatei ist keine, die Pactum lesen kann{place}."
        ),
    };
    let todo = if dropped {
        pick(
            "Ask the party who sent it for the trust file, or verify without it: the page goes on verifying with the trust file it had.",
            "请向发送该文件的一方索取信任文件，或不使用它继续验证：本页面仍使用原有的信任文件进行验证。",
            "Bitten Sie die Partei, die sie geschickt hat, um die Vertrauensdatei, oder prüfen Sie ohne sie: die Seite prüft weiter mit der Vertrauensdatei, die sie hatte.",
        )
    } else {
        pick(
            "Ask whoever sent you this page for a new one, or drop the trust file you were given onto this page.",
            "请向发送本页面的一方索取新的页面，或将您收到的信任文件拖放到本页面。",
            "Bitten Sie den Absender dieser Seite um eine neue, oder ziehen Sie die Vertrauensdatei, die Sie erhalten haben, auf diese Seite.",
        )
    };
    TrustProblemView {
        lang: lang.code(),
        code: error.code(),
        headline: if dropped {
            labels(lang).file_not_used
        } else {
            labels(lang).not_verified
        },
        file: file.map(str::to_string),
        what,
        todo,
        detail: error.detail().to_string(),
        labels: labels(lang),
    }
}

/// " (line 1, column 9)", "（第1行第9列）", " (Zeile 1, Spalte 9)".
fn in_file(lang: Lang, at: Place) -> String {
    let Place { line, column } = at;
    match lang {
        Lang::En => format!(" (line {line}, column {column})"),
        Lang::Zh => format!("（第{line}行第{column}列）"),
        Lang::De => format!(" (Zeile {line}, Spalte {column})"),
    }
}

/// The view as JSON, every string escaped as the page's other views are (a file's name and a
/// role are someone's text).
pub fn trust_problem_json(view: &TrustProblemView) -> serde_json::Value {
    let mut value = serde_json::to_value(view).unwrap_or(serde_json::Value::Null);
    escape_strings(&mut value);
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::TrustFile;

    /// Every kind of problem, dropped or the page's own, in every language the page offers:
    /// said in words of that language with where in the file, never the parser's message or a
    /// Rust type's name, and never the same words for the two cases.
    #[test]
    fn each_trust_problem_is_said_in_each_language() {
        let shape = TrustFile::parse(r#"{"log": 1}"#).expect_err("a number for the log");
        let syntax = TrustFile::parse("{ log = 1 }").expect_err("not JSON");
        let key = TrustError::PartyKey {
            role: "buyer".into(),
            message: "a public key is 64 hex digits".into(),
        };
        let place = |lang| match lang {
            Lang::En => "(line 1, column 9)",
            Lang::Zh => "（第1行第9列）",
            Lang::De => "(Zeile 1, Spalte 9)",
        };
        for lang in Lang::ALL {
            for error in [&shape, &syntax, &key] {
                let dropped = trust_problem(lang, error, Some("trust.json"));
                let own = trust_problem(lang, error, None);
                for view in [&dropped, &own] {
                    let said = format!("{} {} {}", view.headline, view.what, view.todo);
                    assert!(
                        !said.contains("Unchecked") && !said.contains("invalid type"),
                        "{said}"
                    );
                    assert!(!said.contains(error.detail()), "{said}");
                    assert_eq!(view.code, error.code());
                    assert_eq!(view.detail, error.detail());
                    if lang == Lang::Zh {
                        // No English words: the Latin letters are the role's, as written.
                        let latin: String = said
                            .replace("buyer", "")
                            .chars()
                            .filter(char::is_ascii_alphabetic)
                            .collect();
                        assert_eq!(latin, "", "{said}");
                    }
                }
                assert_ne!(dropped.what, own.what);
                assert_ne!(dropped.todo, own.todo);
                assert_eq!(dropped.file.as_deref(), Some("trust.json"));
            }
            let shape_view = trust_problem(lang, &shape, Some("trust.json"));
            assert!(shape_view.what.contains(place(lang)), "{}", shape_view.what);
        }
    }

    #[test]
    fn a_files_name_is_escaped() {
        let error = TrustFile::parse("{").expect_err("cut short");
        let view = trust_problem(Lang::En, &error, Some("trust\u{202e}nosj.json"));
        let json = trust_problem_json(&view);
        assert_eq!(json["file"], "trust\\u{202e}nosj.json");
    }
}
