//! `dictum eval`: decide requests (one JSON object, or JSON lines) at one hook.

use crate::project::{self, ColorChoice, Format, LimitArgs};
use dictum::engine::{Decision, Engine, Reason, RuleOutcome, Snapshot};
use dictum::types::Hook;
use serde_json::{Value as Json, json};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or directories to compile first (instead of --bundle)
    #[arg(
        value_name = "PATH",
        required_unless_present = "bundle",
        conflicts_with = "bundle"
    )]
    paths: Vec<PathBuf>,
    /// A bundle written by `dictum compile`
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// The hook to decide at: instantiate, access, egress, encrypt or log
    #[arg(long, value_name = "HOOK")]
    hook: String,
    /// A JSON request, or JSON lines with one request per line (`-` reads standard input)
    #[arg(long, value_name = "FILE")]
    request: PathBuf,
    /// Also list every applicable rule's outcome and the values it read
    #[arg(long)]
    explain: bool,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// A schema file extending the standard schema (with PATH...)
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// Colors in diagnostics
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    #[command(flatten)]
    limits: LimitArgs,
}

fn usage(msg: &str) -> u8 {
    eprintln!("error: {msg}");
    project::EXIT_USAGE
}

pub fn run(args: Args) -> u8 {
    let Some(hook) = Hook::from_name(&args.hook) else {
        return usage(&format!(
            "unknown hook `{}`; the hooks are instantiate, access, egress, encrypt and log",
            args.hook
        ));
    };
    let engine = match &args.bundle {
        Some(path) => {
            let bytes = match std::fs::read(path) {
                Ok(b) => b,
                Err(e) => {
                    return usage(&format!(
                        "cannot read `{}`: {}",
                        path.display(),
                        e.to_string().to_lowercase()
                    ));
                }
            };
            match Engine::from_bytes(&bytes) {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("error: `{}` is not a valid bundle: {e}", path.display());
                    return project::EXIT_FAIL;
                }
            }
        }
        None => {
            let limits = args.limits.limits();
            let (sources, program) = match project::check_paths(
                &args.paths,
                args.schema.as_deref(),
                &limits,
                Format::Human,
                args.color.enabled(),
            ) {
                Ok(r) => r,
                Err(code) => return code,
            };
            let bundle = match dictum::compile::compile(&program, &sources) {
                Ok(b) => b,
                Err(e) => return usage(&e.to_string()),
            };
            match Engine::new(bundle) {
                Ok(e) => e,
                Err(e) => return usage(&e.to_string()),
            }
        }
    };
    let text = if args.request.as_os_str() == "-" {
        let mut s = String::new();
        if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut s) {
            return usage(&format!("cannot read standard input: {e}"));
        }
        s
    } else {
        match std::fs::read_to_string(&args.request) {
            Ok(s) => s,
            Err(e) => {
                return usage(&format!(
                    "cannot read `{}`: {}",
                    args.request.display(),
                    e.to_string().to_lowercase()
                ));
            }
        }
    };
    let snap = engine.snapshot();
    let mut failed = false;
    for (n, (line, req_text)) in split_requests(&text).into_iter().enumerate() {
        let n = n + 1;
        let buf = match snap.request_from_json(req_text) {
            Ok(b) => b,
            Err(e) => {
                failed = true;
                let msg = match line {
                    Some(l) => format!("request {n} (line {l}): {e}"),
                    None => format!("request {n}: {e}"),
                };
                match args.format {
                    Format::Json => crate::outln!(
                        "{}",
                        json!({"request": n, "error": e.to_string(), "path": e.path})
                    ),
                    Format::Human => eprintln!("error: {msg}"),
                }
                continue;
            }
        };
        let req = buf.view();
        let d = snap.decide(hook, &req);
        let explained = args.explain.then(|| snap.explain(hook, &req));
        match args.format {
            Format::Json => {
                let mut v = decision_json(&snap, &d);
                if let (Some(ex), Some(obj)) = (&explained, v.as_object_mut()) {
                    obj.insert("request".into(), json!(n));
                    obj.insert("explain".into(), explain_json(&snap, ex));
                } else if let Some(obj) = v.as_object_mut() {
                    obj.insert("request".into(), json!(n));
                }
                crate::outln!("{v}");
            }
            Format::Human => {
                crate::outln!("request {n}: {}", decision_text(&snap, &d));
                if let Some(ex) = &explained {
                    for e in ex {
                        let id = snap.rule(e.rule).map(|r| r.id).unwrap_or_default();
                        let vals: Vec<String> =
                            e.values.iter().map(|(p, v)| format!("{p} = {v}")).collect();
                        crate::outln!(
                            "  {:<14} {id}{}{}",
                            outcome_word(&e.outcome),
                            if vals.is_empty() { "" } else { "   " },
                            vals.join(", ")
                        );
                    }
                }
            }
        }
    }
    if failed {
        project::EXIT_FAIL
    } else {
        project::EXIT_OK
    }
}

/// One request per non-empty line when every such line is a JSON object on its own
/// (JSON lines); otherwise the whole text is one request.
fn split_requests(text: &str) -> Vec<(Option<usize>, &str)> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l))
        .collect();
    let jsonl = lines.len() > 1
        && lines
            .iter()
            .all(|(_, l)| serde_json::from_str::<serde_json::Map<String, Json>>(l).is_ok());
    if jsonl {
        lines.into_iter().map(|(i, l)| (Some(i), l)).collect()
    } else {
        vec![(None, text)]
    }
}

fn outcome_word(o: &RuleOutcome) -> &'static str {
    match o {
        RuleOutcome::Matched => "matched",
        RuleOutcome::NotMatched => "not matched",
        RuleOutcome::NotApplicable => "not applicable",
        RuleOutcome::Error => "error",
    }
}

fn enum_values(snap: &Snapshot, name: &str, mask: u64) -> Vec<String> {
    let s = snap.schema();
    let values = s
        .enum_named(name)
        .and_then(|e| s.enum_def(e))
        .map(|d| d.values.clone())
        .unwrap_or_default();
    (0..64)
        .filter(|i| mask & (1u64 << i) != 0)
        .filter_map(|i| values.get(i).cloned())
        .collect()
}

fn reason_word(snap: &Snapshot, r: Reason) -> String {
    match r {
        Reason::Rule => "rule".into(),
        Reason::Default => "default".into(),
        Reason::NoDefault => "no rule matched and no default is declared".into(),
        Reason::NoCipher => "no cipher is allowed".into(),
        Reason::Missing(id) => format!("the request lacks `{}`", snap.schema().attr_path(id)),
        Reason::SchemaMismatch => "the request was built for another schema".into(),
        Reason::Internal => "internal error".into(),
    }
}

fn decision_json(snap: &Snapshot, d: &Decision) -> Json {
    let rule = d.rule.and_then(|r| snap.rule(r)).map(|r| {
        json!({"id": r.id, "policy": r.policy, "layer": r.layer.name(), "file": r.file, "line": r.line, "column": r.column})
    });
    let cipher = d.cipher.and_then(|c| {
        enum_values(snap, dictum::schema::CIPHER_ENUM, 1u64 << c)
            .into_iter()
            .next()
    });
    json!({
        "hook": d.hook.name(),
        "decision": if d.is_allow() { "allow" } else { "deny" },
        "reason": match d.reason { Reason::Rule => "rule".to_string(), Reason::Default => "default".to_string(), other => reason_word(snap, other) },
        "rule": rule,
        "cipher": cipher,
        "record": enum_values(snap, dictum::schema::LOG_FIELD_ENUM, d.record),
        "redact": enum_values(snap, dictum::schema::LOG_FIELD_ENUM, d.redact),
    })
}

fn explain_json(snap: &Snapshot, ex: &[dictum::engine::Explained]) -> Json {
    Json::Array(
        ex.iter()
            .map(|e| {
                let values: serde_json::Map<String, Json> = e.values.iter().map(|(p, v)| (p.clone(), Json::String(v.clone()))).collect();
                json!({"rule": snap.rule(e.rule).map(|r| r.id), "outcome": outcome_word(&e.outcome), "values": values})
            })
            .collect(),
    )
}

fn decision_text(snap: &Snapshot, d: &Decision) -> String {
    let at = d
        .rule
        .and_then(|r| snap.rule(r))
        .map(|r| format!("{} ({}:{}:{})", r.id, r.file, r.line, r.column));
    let head = match d.hook {
        Hook::Encrypt => match d.cipher.and_then(|c| {
            enum_values(snap, dictum::schema::CIPHER_ENUM, 1u64 << c)
                .into_iter()
                .next()
        }) {
            Some(c) => format!("use {c}"),
            None => "deny".into(),
        },
        Hook::Log => format!(
            "record [{}], redact [{}]",
            enum_values(snap, dictum::schema::LOG_FIELD_ENUM, d.record).join(", "),
            enum_values(snap, dictum::schema::LOG_FIELD_ENUM, d.redact).join(", ")
        ),
        _ => (if d.is_allow() { "allow" } else { "deny" }).to_string(),
    };
    match (d.reason, at) {
        (_, _) if d.hook == Hook::Log => head,
        (Reason::Rule, Some(at)) => format!("{head} by {at}"),
        (Reason::Default, Some(at)) => format!("{head} by default {at}"),
        (r, _) => format!("{head} ({})", reason_word(snap, r)),
    }
}
