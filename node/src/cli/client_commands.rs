//! The client subcommands: each one HTTP call to a running node.

use std::{collections::BTreeMap, io::Read, path::Path};

use anyhow::{anyhow, bail, Context};
use base64::Engine as _;
use contract_lang::untrusted::{escape_json, escape_lines};
use serde_json::{json, Value};

use super::{Command, EventArgs, NodeArgs, ShareArgs};
use crate::{
    api::{AcceptOrder, EventRequest, ProposeOrder, SubmitAgreement, SubmitEvent, SubmitReview},
    client::ApiClient,
    config::{self, Settings},
};

pub(super) fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Propose { node, file } => {
            let text = read_input(&file)?;
            let proposal: ProposeOrder = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a valid proposal", file.display()))?;
            print_json(&client(&node)?.post("/orders", &proposal)?)
        }
        Command::Agree { node, order, file } => {
            let text = read_input(&file)?;
            let agreement: SubmitAgreement = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a valid agreement", file.display()))?;
            print_json(&client(&node)?.post(&format!("/orders/{order}/agreements"), &agreement)?)
        }
        Command::Backup { node, dir } => {
            // The node resolves relative paths from its own working directory: send ours.
            let dir = std::path::absolute(&dir)?;
            let request = crate::api::BackupRequest {
                dir: dir.display().to_string(),
            };
            print_json(&client(&node)?.post("/admin/backup", &request)?)
        }
        Command::Accept { node, order } => print_json(
            &client(&node)?.post(&format!("/orders/{order}/accept"), &AcceptOrder::default())?,
        ),
        Command::Event(args) => event(args),
        Command::Ingest {
            node,
            file,
            format,
            order,
        } => print_json(&ingest(
            &client(&node)?,
            &file,
            format.as_deref(),
            order.as_deref(),
        )?),
        Command::Show {
            node,
            order,
            format,
        } => super::timeline::show(&client(&node)?, &order, format),
        Command::History {
            node,
            order,
            format,
            lang,
            follow,
        } => super::timeline::history(&client(&node)?, &order, format, lang, follow),
        Command::Review {
            node,
            order,
            decision,
            note,
            term,
            at,
        } => {
            let review = SubmitReview {
                decision,
                note,
                at,
                terms: parse_pairs("--term", &term)?,
            };
            print_json(&client(&node)?.post(&format!("/orders/{order}/review"), &review)?)
        }
        Command::Bundle { node, order, out } => {
            let bytes = client(&node)?.get_bytes(&format!("/orders/{order}/bundle"))?;
            std::fs::write(&out, &bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("wrote {} ({} bytes)", out.display(), bytes.len());
            Ok(())
        }
        Command::Share(args) => share(args),
        Command::Checkpoint { node } => print_json(&client(&node)?.get("/checkpoint")?),
        Command::Health { node } => print_json(&client(&node)?.get("/health")?),
        Command::Metrics { node } => {
            let bytes = client(&node)?.get_bytes("/metrics")?;
            print!("{}", escape_lines(&String::from_utf8_lossy(&bytes)));
            Ok(())
        }
        Command::Init(_)
        | Command::Run(_)
        | Command::Demo(_)
        | Command::Bench(_)
        | Command::BenchStart(_)
        | Command::Simulate(_)
        | Command::Load(_)
        | Command::Fsck(_)
        | Command::Restore { .. }
        | Command::WebhookReceiver(_)
        | Command::Completions { .. }
        | Command::Man { .. } => {
            bail!("not a client command")
        }
    }
}

fn share(args: ShareArgs) -> anyhow::Result<()> {
    let api = client(&args.node)?;
    if let Some(token) = &args.revoke {
        return print_json(&api.delete(&format!("/orders/{}/share/{token}", args.order))?);
    }
    let expires_in_seconds = args.expires.as_deref().map(seconds_of).transpose()?;
    let made = api.post(
        &format!("/orders/{}/share", args.order),
        &json!({ "expires_in_seconds": expires_in_seconds }),
    )?;
    let path = made["path"]
        .as_str()
        .ok_or_else(|| anyhow!("the node's answer has no link path: {made}"))?;
    let base = args.public_url.as_deref().unwrap_or(api.base());
    let link = format!("{}{path}", base.trim_end_matches('/'));
    println!("{link}");
    match made["expires_at"].as_u64() {
        Some(at) => println!(
            "expires at {at} (seconds since 1970); revoke with --revoke {}",
            made["token"].as_str().unwrap_or("")
        ),
        None => println!(
            "valid until revoked: --revoke {}",
            made["token"].as_str().unwrap_or("")
        ),
    }
    print!("{}", crate::qr::terminal(&link)?);
    Ok(())
}

/// `30d`, `12h`, `90m`, `45s` (or plain seconds) as seconds.
fn seconds_of(text: &str) -> anyhow::Result<u64> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let number: u64 = number
        .parse()
        .map_err(|_| anyhow!("{text:?} is not a duration like 30d, 12h, 90m or 45s"))?;
    let unit = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => bail!("{text:?} is not a duration like 30d, 12h, 90m or 45s"),
    };
    number
        .checked_mul(unit)
        .ok_or_else(|| anyhow!("{text:?} is too long"))
}

fn client(args: &NodeArgs) -> anyhow::Result<ApiClient> {
    let config = || {
        args.config
            .clone()
            .or_else(|| config::default_config_path().filter(|path| path.is_file()))
    };
    let (url, config_token) = match (&args.url, config()) {
        (Some(url), _) => (url.clone(), None),
        (None, Some(path)) => {
            let settings = Settings::load(&path)?;
            (settings.http_url(), Some(settings.file.http.token.clone()))
        }
        (None, None) => bail!("say which node: --config <node config file> or --url <http://…> (there is no ./pactum-node.toml nor ~/.config/pactum/pactum-node.toml)"),
    };
    let token = args.token.clone().or(config_token);
    Ok(ApiClient::with_ca_file(
        url,
        token,
        args.ca_file.as_deref(),
    )?)
}

fn read_input(path: &Path) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// `pactum-node ingest FILE`: the document POSTed to `/ingest/epcis` or `/ingest/cap`.
fn ingest(
    client: &ApiClient,
    file: &Path,
    format: Option<&str>,
    order: Option<&str>,
) -> anyhow::Result<Value> {
    let document = read_input(file)?.into_bytes();
    let format = match format {
        Some(name) => crate::ingest::Format::from_name(name)
            .ok_or_else(|| anyhow!("--format {name:?}: give epcis or cap"))?,
        None => crate::ingest::Format::sniff(&document).ok_or_else(|| {
            anyhow!(
                "{}: neither JSON (EPCIS) nor XML (CAP); give --format",
                file.display()
            )
        })?,
    };
    let (path, content_type) = match format {
        crate::ingest::Format::Epcis => ("/ingest/epcis", "application/ld+json"),
        crate::ingest::Format::Cap => ("/ingest/cap", "application/cap+xml"),
    };
    let path = match order {
        Some(order) => format!(
            "{path}?{}",
            serde_urlencoded::to_string([("order", order)])?
        ),
        None => path.to_string(),
    };
    Ok(client.post_document(&path, content_type, &document)?)
}

fn event(args: EventArgs) -> anyhow::Result<()> {
    let request = match (&args.signed, &args.kind, &args.at) {
        (Some(path), _, _) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            SubmitEvent {
                signed: Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
                event: None,
            }
        }
        (None, Some(kind), Some(at)) => SubmitEvent {
            signed: None,
            event: Some(EventRequest {
                kind: kind.clone(),
                at: at.clone(),
                fields: parse_pairs("--field", &args.field)?,
            }),
        },
        _ => bail!("give --signed <file>, or --kind <kind> --at <time> [--field name=value…]"),
    };
    print_json(&client(&args.node)?.post(&format!("/orders/{}/events", args.order), &request)?)
}

/// `name=value` pairs; values that parse as JSON (numbers, booleans, lists) are taken as such,
/// anything else as text.
fn parse_pairs(flag: &str, pairs: &[String]) -> anyhow::Result<BTreeMap<String, Value>> {
    let mut fields = BTreeMap::new();
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| anyhow!("{flag} {pair:?} is not name=value"))?;
        let value = serde_json::from_str(value).unwrap_or_else(|_| json!(value));
        if fields.insert(name.to_string(), value).is_some() {
            bail!("{flag} {name} is given twice");
        }
    }
    Ok(fields)
}

/// Prints a node's answer as JSON. Orders hold other parties' text (attested fields, notes):
/// control and bidirectional characters are written as JSON escapes, the same value, never raw.
fn print_json(value: &Value) -> anyhow::Result<()> {
    println!("{}", escape_json(&serde_json::to_string_pretty(value)?));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_parse_as_json_or_text() {
        let fields = parse_pairs(
            "--field",
            &[
                "eta=2026-03-10T00:00:00Z".into(),
                "n=3".into(),
                "ok=true".into(),
                "regions=[\"HK\"]".into(),
            ],
        )
        .unwrap();
        assert_eq!(fields["eta"], json!("2026-03-10T00:00:00Z"));
        assert_eq!(fields["n"], json!(3));
        assert_eq!(fields["ok"], json!(true));
        assert_eq!(fields["regions"], json!(["HK"]));
        assert!(parse_pairs("--field", &["novalue".into()]).is_err());
        assert!(parse_pairs("--field", &["a=1".into(), "a=2".into()]).is_err());
    }
}
