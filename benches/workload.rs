//! The benchmark workload, shared by the criterion benches and the peer comparison: N
//! generated tenants, each with its own constants (allowed countries, ~20 office networks,
//! ~10 egress domains, reader and writer roles), on top of platform rules; requests that hit
//! and miss; and the hand-written Rust baseline for the same rules.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

/// A small deterministic generator (xorshift64*), so every run sees the same workload.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

pub const COUNTRIES: &[&str] = &[
    "US", "CA", "MX", "DE", "FR", "GB", "NL", "IE", "JP", "BR", "IN", "AU", "SG", "ZA", "SE", "ES",
];
pub const BLOCKED: &[&str] = &["KP", "IR", "SY", "CU"];
pub const EU: &[&str] = &["DE", "FR", "NL", "IE", "SE", "ES"];
pub const CLEARANCES: &[&str] = &["unclassified", "confidential", "secret", "top_secret"];

#[derive(Clone, Debug)]
pub struct Tenant {
    pub domain: String,
    pub countries: Vec<String>,
    /// IPv4 office networks, as (first octets, prefix) text: `"10.12.3.0/24"`.
    pub nets: Vec<String>,
    pub egress: Vec<String>,
    pub readers: Vec<String>,
    pub writer: String,
}

pub struct Workload {
    pub tenants: Vec<Tenant>,
}

pub fn workload(n: usize) -> Workload {
    let mut rng = Rng::new(0x5eed ^ n as u64);
    let tenants = (0..n)
        .map(|i| {
            let mut countries: Vec<String> = Vec::new();
            for _ in 0..(2 + rng.below(4)) {
                let c = COUNTRIES[rng.below(COUNTRIES.len())].to_string();
                if !countries.contains(&c) {
                    countries.push(c);
                }
            }
            let nets = (0..20)
                .map(|k| format!("10.{}.{}.0/24", (i * 7 + k) % 250, (i / 250 + k * 11) % 250))
                .collect();
            let egress = (0..10)
                .map(|k| format!("svc{k}.partner{}.example", (i + k) % 97))
                .collect();
            Tenant {
                domain: format!("t{i}.example"),
                countries,
                nets,
                egress,
                readers: vec![format!("reader-{i}"), format!("auditor-{i}")],
                writer: format!("writer-{i}"),
            }
        })
        .collect();
    Workload { tenants }
}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The workload as policy files, as a deployment lays them out: the shared templates and
/// platform rules, then the tenants in files of 500 (one file of 10,000 tenants would be
/// larger than dictum's default 4 MiB file limit).
pub fn dictum_files(w: &Workload) -> Vec<(String, String)> {
    let all = dictum_source(w);
    let cut = all.find("domain \"").unwrap_or(all.len());
    let mut files = vec![("platform.policy".to_string(), all[..cut].to_string())];
    let tenants: Vec<&str> = all[cut..].split_inclusive("}\n").collect();
    for (i, chunk) in tenants.chunks(500).enumerate() {
        files.push((format!("tenants-{i:03}.policy"), chunk.concat()));
    }
    files
}

/// The workload as dictum policies, in one text: shared templates, one instance set per
/// tenant.
pub fn dictum_source(w: &Workload) -> String {
    let mut s = String::from(
        r#"
template placement(countries: set<string>) on instantiate {
  forbid when not (server.country in countries);
  permit start, migrate when server.tier <= 2;
}
template tenant_access(nets: set<cidr>, readers: set<string>, writer: string) on access {
  forbid when not (client.ip in nets);
  permit read when user.roles has any readers;
  permit write, modify when user.roles has writer and object.tags has "rw";
}
template tenant_egress(domains: set<string>) on egress {
  forbid send when target.kind == object and not (object.clearance <= target.clearance);
  permit send when target.domain under domains;
}
const blocked_countries = {"KP", "IR", "SY", "CU"};
const eu = {"DE", "FR", "NL", "IE", "SE", "ES"};
platform {
  policy "blocked countries" on access { forbid when client.country in blocked_countries; }
  policy "ciphers" on encrypt {
    use aes_256_gcm when object.tags has "fips";
    default chacha20_poly1305;
  }
  policy "logging" on log {
    record timestamp, url, identity, client_ip;
    redact client_ip when client.country in eu;
  }
}
"#,
    );
    for t in &w.tenants {
        s.push_str(&format!(
            "domain {:?} {{\n  use placement({{{}}}) as \"placement\";\n  use tenant_access({{{}}}, {{{}}}, {:?}) as \"access\";\n  use tenant_egress({{{}}}) as \"egress\";\n}}\n",
            t.domain,
            quoted(&t.countries),
            t.nets.join(", "),
            quoted(&t.readers),
            t.writer,
            quoted(&t.egress)
        ));
    }
    s
}

/// One request, in the fields the rules read (the rest are fixed).
#[derive(Clone, Debug)]
pub struct Req {
    pub tenant: usize,
    pub domain: String,
    pub server_country: String,
    pub server_tier: i64,
    pub client_country: String,
    pub client_ip: IpAddr,
    pub roles: Vec<String>,
    pub tags: Vec<String>,
    pub action: &'static str,
    pub target_kind: &'static str,
    pub target_domain: String,
    pub object_clearance: &'static str,
    pub target_clearance: &'static str,
}

/// Requests aimed at random tenants; about half hit (allowed) and half miss.
pub fn requests(w: &Workload, count: usize, seed: u64) -> Vec<Req> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| {
            let i = rng.below(w.tenants.len());
            let t = &w.tenants[i];
            let hit = rng.chance(50);
            let net = &t.nets[rng.below(t.nets.len())];
            let base = net.trim_end_matches(".0/24");
            let client_ip: IpAddr = if hit {
                format!("{base}.{}", 1 + rng.below(250)).parse().unwrap()
            } else {
                format!("192.0.2.{}", rng.below(250)).parse().unwrap()
            };
            let server_country = if hit {
                t.countries[rng.below(t.countries.len())].clone()
            } else {
                "ZZ".into()
            };
            let roles = if hit {
                vec![t.readers[0].clone(), "staff".into()]
            } else {
                vec!["staff".into()]
            };
            let tags = if rng.chance(30) {
                vec!["rw".into(), "fips".into()]
            } else {
                vec!["rw".into()]
            };
            let client_country = if rng.chance(10) {
                BLOCKED[rng.below(BLOCKED.len())].to_string()
            } else {
                COUNTRIES[rng.below(COUNTRIES.len())].to_string()
            };
            let target_domain = if hit {
                t.egress[rng.below(t.egress.len())].clone()
            } else {
                "evil.example".into()
            };
            Req {
                tenant: i,
                domain: t.domain.clone(),
                server_country,
                server_tier: if hit { 1 } else { 3 },
                client_country,
                client_ip,
                roles,
                tags,
                action: ["read", "write", "start", "send"][rng.below(4)],
                target_kind: if rng.chance(50) { "external" } else { "object" },
                target_domain,
                object_clearance: CLEARANCES[rng.below(4)],
                target_clearance: CLEARANCES[rng.below(4)],
            }
        })
        .collect()
}

/// The request as dictum's JSON request format.
pub fn request_json(r: &Req) -> String {
    format!(
        r#"{{"server": {{"id": "s1", "region": "r1", "country": {:?}, "jurisdiction": "US", "datacenter": "dc1", "tier": {}, "manufacturer": "Oxide", "generation": 5, "certifications": []}},
"client": {{"ip": "{}", "country": {:?}}},
"user": {{"id": "u1", "authenticated": true, "credentials": [], "roles": [{}], "groups": []}},
"object": {{"id": "o1", "class": "doc", "domain": {:?}, "tags": [{}], "clearance": {:?}}},
"target": {{"kind": {:?}, "domain": {:?}, "clearance": {:?}}},
"request": {{"action": {:?}, "time": "2026-03-02T10:15:00Z", "headers": []}}}}"#,
        r.server_country,
        r.server_tier,
        r.client_ip,
        r.client_country,
        quoted(&r.roles),
        r.domain,
        quoted(&r.tags),
        r.object_clearance,
        r.target_kind,
        r.target_domain,
        r.target_clearance,
        r.action
    )
}

/// The five hooks' answers for one request: allow/deny, cipher, record/redact field lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answers {
    pub instantiate: bool,
    pub access: bool,
    pub egress: bool,
    /// `true`: AES-256-GCM, `false`: ChaCha20-Poly1305.
    pub encrypt_aes: bool,
    /// Whether the client IP is recorded in clear.
    pub log_client_ip: bool,
}

/// The hand-written baseline: what a competent developer would write for these rules in
/// an afternoon, without a policy engine.
pub struct Baseline {
    tenants: HashMap<String, BaselineTenant>,
    blocked: HashSet<&'static str>,
    eu: HashSet<&'static str>,
}

struct BaselineTenant {
    countries: HashSet<String>,
    nets: Vec<ipnetwork::IpNetwork>,
    egress: Vec<String>,
    readers: HashSet<String>,
    writer: String,
}

fn level(c: &str) -> usize {
    CLEARANCES.iter().position(|x| *x == c).unwrap_or(0)
}

impl Baseline {
    pub fn new(w: &Workload) -> Baseline {
        let tenants = w
            .tenants
            .iter()
            .map(|t| {
                (
                    t.domain.clone(),
                    BaselineTenant {
                        countries: t.countries.iter().cloned().collect(),
                        nets: t.nets.iter().map(|n| n.parse().unwrap()).collect(),
                        egress: t.egress.clone(),
                        readers: t.readers.iter().cloned().collect(),
                        writer: t.writer.clone(),
                    },
                )
            })
            .collect();
        Baseline {
            tenants,
            blocked: BLOCKED.iter().copied().collect(),
            eu: EU.iter().copied().collect(),
        }
    }

    pub fn instantiate(&self, r: &Req) -> bool {
        let Some(t) = self.tenants.get(&r.domain) else {
            return false;
        };
        t.countries.contains(&r.server_country)
            && matches!(r.action, "start" | "migrate")
            && r.server_tier <= 2
    }

    pub fn access(&self, r: &Req) -> bool {
        if self.blocked.contains(r.client_country.as_str()) {
            return false;
        }
        let Some(t) = self.tenants.get(&r.domain) else {
            return false;
        };
        if !t.nets.iter().any(|n| n.contains(r.client_ip)) {
            return false;
        }
        match r.action {
            "read" => r.roles.iter().any(|x| t.readers.contains(x)),
            "write" | "modify" => r.roles.contains(&t.writer) && r.tags.iter().any(|x| x == "rw"),
            _ => false,
        }
    }

    pub fn egress(&self, r: &Req) -> bool {
        let Some(t) = self.tenants.get(&r.domain) else {
            return false;
        };
        if r.action != "send" {
            return false;
        }
        if r.target_kind == "object" && level(r.object_clearance) > level(r.target_clearance) {
            return false;
        }
        let d = r.target_domain.to_ascii_lowercase();
        t.egress
            .iter()
            .any(|e| d == *e || d.ends_with(&format!(".{e}")))
    }

    pub fn encrypt_aes(&self, r: &Req) -> bool {
        r.tags.iter().any(|t| t == "fips")
    }

    pub fn log_client_ip(&self, r: &Req) -> bool {
        !self.eu.contains(r.client_country.as_str())
    }

    pub fn answers(&self, r: &Req) -> Answers {
        Answers {
            instantiate: self.instantiate(r),
            access: self.access(r),
            egress: self.egress(r),
            encrypt_aes: self.encrypt_aes(r),
            log_client_ip: self.log_client_ip(r),
        }
    }
}
