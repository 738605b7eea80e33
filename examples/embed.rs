//! Embedding dictum in a runtime: compile policies once, resolve attribute handles once,
//! then decide on every request without allocating: with a request filled through the
//! typed builder, or with the runtime's own request type read in place.
//!
//! Run with `cargo run --release --example embed`.

use dictum::engine::{Engine, Symbol};
use dictum::types::Hook;

/// A request as the runtime already holds it.
struct Conn {
    peer: std::net::IpAddr,
    groups: Vec<String>,
    object_domain: String,
    object_tags: Vec<String>,
    action: Symbol,
}

const POLICIES: &str = r#"
const office_nets = {198.51.100.0/24, 2001:db8:ba4c::/48};

domain "bank.example" {
  policy "rights" on access {
    permit read when user.groups has any {"finance", "audit"};
    permit write when user.groups has "finance" and object.tags has "financial";
    forbid when not (client.ip in office_nets);
  }
}
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // In production: `dictum compile policies/ -o policies.bundle` in CI, then
    // `Engine::from_bytes(&std::fs::read("policies.bundle")?)` at start-up.
    let engine = Engine::from_sources(&[("bank.policy", POLICIES)])?;

    // Resolve handles and symbols once, at start-up.
    let snap = engine.snapshot();
    let attr = |path: &str| snap.attr(path);
    let (sid, country, jur, region, dc, tier, maker, generation, certs) = (
        attr("server.id")?,
        attr("server.country")?,
        attr("server.jurisdiction")?,
        attr("server.region")?,
        attr("server.datacenter")?,
        attr("server.tier")?,
        attr("server.manufacturer")?,
        attr("server.generation")?,
        attr("server.certifications")?,
    );
    let (ip, ccountry) = (attr("client.ip")?, attr("client.country")?);
    let (auth, creds, roles, groups) = (
        attr("user.authenticated")?,
        attr("user.credentials")?,
        attr("user.roles")?,
        attr("user.groups")?,
    );
    let (oid, class, domain, tags, clearance) = (
        attr("object.id")?,
        attr("object.class")?,
        attr("object.domain")?,
        attr("object.tags")?,
        attr("object.clearance")?,
    );
    let (action, time, headers) = (
        attr("request.action")?,
        attr("request.time")?,
        attr("request.headers")?,
    );
    let secret = snap.symbol(clearance, "secret")?;
    let read = snap.symbol(action, "read")?;
    let write = snap.symbol(action, "write")?;

    // Per request: fill a reused request (no allocation) and decide.
    let mut req = snap.request();
    for (who, act, from) in [
        (&["finance"][..], read, "198.51.100.7"),
        (&["audit"][..], write, "198.51.100.7"),
        (&["finance"][..], read, "192.0.2.1"),
    ] {
        req.clear();
        req.set_str(sid, "iad-1")?;
        req.set_str(country, "US")?;
        req.set_str(jur, "US")?;
        req.set_str(region, "us-east")?;
        req.set_str(dc, "iad1")?;
        req.set_int(tier, 1)?;
        req.set_str(maker, "Oxide")?;
        req.set_int(generation, 5)?;
        req.set_strs(certs, &[])?;
        req.set_ip(ip, from.parse()?)?;
        req.set_str(ccountry, "US")?;
        req.set_bool(auth, true)?;
        req.set_strs(creds, &["mfa"])?;
        req.set_strs(roles, &[])?;
        req.set_strs(groups, who)?;
        req.set_str(oid, "ledger-7")?;
        req.set_str(class, "ledger")?;
        req.set_str(domain, "bank.example")?;
        req.set_strs(tags, &["financial"])?;
        req.set_symbol(clearance, secret)?;
        req.set_symbol(action, act)?;
        req.set_timestamp(time, 1_772_446_500)?;
        req.set_strs(headers, &[])?;

        let d = snap.decide(Hook::Access, &req);
        let by = d
            .rule
            .and_then(|r| snap.rule(r))
            .map(|r| r.id)
            .unwrap_or_else(|| "no rule".into());
        println!(
            "{who:?} from {from}: {} ({by})",
            if d.is_allow() { "allow" } else { "deny" }
        );
    }

    // Or, with no request to fill: say once where the attributes the policies read live
    // in the runtime's own type, and decide on it in place. A required attribute left
    // unbound denies as `missing`; binding a path to the wrong kind is an error here.
    let mut layout = snap.layout::<Conn>();
    layout
        .ip("client.ip", |c| c.peer)?
        .strings("user.groups", |c| &c.groups)?
        .str("object.domain", |c| &c.object_domain)?
        .strings("object.tags", |c| &c.object_tags)?
        .symbol("request.action", |c| c.action)?;
    let layout = layout.build();
    for (who, act, from) in [
        ("finance", read, "198.51.100.7"),
        ("audit", write, "198.51.100.7"),
        ("finance", read, "192.0.2.1"),
    ] {
        let conn = Conn {
            peer: from.parse()?,
            groups: vec![who.to_string()],
            object_domain: "bank.example".into(),
            object_tags: vec!["financial".into()],
            action: act,
        };
        let d = snap.decide_in_place(Hook::Access, &layout, &conn);
        println!(
            "in place, [{who:?}] from {from}: {}",
            if d.is_allow() { "allow" } else { "deny" }
        );
    }
    Ok(())
}
