//! dictum itself and the hand-written Rust baseline, behind the same interface as the peers.

use crate::Peer;
use crate::handles::Handles;
use crate::workload::{Baseline, Req, Workload};
use dictum::engine::{Decision, Engine, Request, Snapshot, Symbol};
use dictum::types::Hook;

/// The hand-written baseline of workload.rs: a `HashMap` from domain to the tenant's
/// constants. Its "native form" is the workload's `Req` itself, so both columns are equal.
pub struct Base {
    pub b: Baseline,
    pool: &'static [Req],
}

impl Base {
    pub fn new(w: &Workload) -> Base {
        Base {
            b: Baseline::new(w),
            pool: &[],
        }
    }

    pub fn pool(&self) -> &'static [Req] {
        self.pool
    }

    pub fn answer(b: &Baseline, hook: Hook, r: &Req) -> bool {
        match hook {
            Hook::Instantiate => b.instantiate(r),
            Hook::Access => b.access(r),
            Hook::Egress => b.egress(r),
            Hook::Encrypt => b.encrypt_aes(r),
            Hook::Log => b.log_client_ip(r),
        }
    }
}

impl Peer for Base {
    fn prepare(&mut self, pool: &'static [Req]) {
        self.pool = pool;
    }
    fn eval(&mut self, hook: Hook, i: usize) -> bool {
        Base::answer(&self.b, hook, &self.pool[i])
    }
    fn convert_eval(&mut self, hook: Hook, i: usize) -> bool {
        Base::answer(&self.b, hook, &self.pool[i])
    }
}

/// dictum: the workload's policy text (shared templates, one instance set per tenant)
/// compiled into one bundle; the engine indexes policies by `object.domain`. Requests are
/// built with the allocation-free typed builder (benches/handles.rs).
pub struct Dictum {
    /// The shared engine (the two-thread runs decide through `Engine::decide`).
    pub engine: Engine,
    /// A snapshot held by the single-threaded loops, as an embedding thread holds one
    /// (benches/decide.rs does the same).
    snap: Snapshot,
    aes: u32,
    client_ip: u64,
    handles: Option<Handles>,
    pool: &'static [Req],
    /// `&str` views of each request's roles and tags: the typed builder borrows `&[&str]`.
    /// Made once per request, outside the timed loops, as in benches/decide.rs.
    roles: Vec<&'static [&'static str]>,
    tags: Vec<&'static [&'static str]>,
    /// The request's enum values (action, kind, clearances) as dictum symbols: a runtime
    /// holds these as its own enums and maps them with a `match` (benches/handles.rs).
    syms: Vec<[Symbol; 4]>,
    built: Vec<Request<'static>>,
    scratch: Option<Request<'static>>,
}

impl Dictum {
    pub fn new(files: &[(String, String)]) -> Dictum {
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let engine = Engine::from_sources(&files).expect("dictum compiles the workload");
        let snap = engine.snapshot();
        let schema = snap.schema();
        let cipher = schema
            .enum_named(dictum::schema::CIPHER_ENUM)
            .expect("cipher enum");
        let aes = schema
            .enum_value(cipher, "aes_256_gcm")
            .expect("aes_256_gcm");
        let field = schema
            .enum_named(dictum::schema::LOG_FIELD_ENUM)
            .expect("log_field enum");
        let client_ip = 1u64 << schema.enum_value(field, "client_ip").expect("client_ip");
        Dictum {
            engine,
            snap,
            aes,
            client_ip,
            handles: None,
            pool: &[],
            roles: vec![],
            tags: vec![],
            syms: vec![],
            built: vec![],
            scratch: None,
        }
    }

    /// The workload's answer from a decision: allow/deny, AES or not, client IP in clear.
    #[inline]
    fn answer_of(&self, hook: Hook, d: Decision) -> bool {
        match hook {
            Hook::Encrypt => d.cipher == Some(self.aes),
            Hook::Log => d.record & self.client_ip != 0 && d.redact & self.client_ip == 0,
            _ => d.is_allow(),
        }
    }

    #[inline]
    pub fn answer(&self, hook: Hook, req: &Request<'_>) -> bool {
        self.answer_of(hook, self.snap.decide(hook, req))
    }

    /// Through the shared `Engine` (an atomic load of the current bundle per decision).
    #[inline]
    pub fn answer_shared(&self, hook: Hook, req: &Request<'_>) -> bool {
        self.answer_of(hook, self.engine.decide(hook, req))
    }

    pub fn built(&self) -> &[Request<'static>] {
        &self.built
    }
}

fn leak(v: &[String]) -> &'static [&'static str] {
    Vec::leak(
        v.iter()
            .map(|s| &*Box::leak(s.clone().into_boxed_str()))
            .collect(),
    )
}

impl Peer for Dictum {
    fn prepare(&mut self, pool: &'static [Req]) {
        let snap = self.engine.snapshot();
        let h = Handles::new(&snap);
        self.pool = pool;
        self.roles = pool.iter().map(|r| leak(&r.roles)).collect();
        self.tags = pool.iter().map(|r| leak(&r.tags)).collect();
        self.syms = pool.iter().map(|r| h.symbols(r)).collect();
        self.built = (0..pool.len())
            .map(|i| {
                let mut req = snap.request();
                h.fill(
                    &mut req,
                    &pool[i],
                    self.roles[i],
                    self.tags[i],
                    &self.syms[i],
                );
                req
            })
            .collect();
        self.scratch = Some(snap.request());
        self.handles = Some(h);
    }
    #[inline]
    fn eval(&mut self, hook: Hook, i: usize) -> bool {
        self.answer(hook, &self.built[i])
    }
    #[inline]
    fn convert_eval(&mut self, hook: Hook, i: usize) -> bool {
        let pool = self.pool;
        if let (Some(h), Some(req)) = (&self.handles, &mut self.scratch) {
            h.fill(req, &pool[i], self.roles[i], self.tags[i], &self.syms[i]);
        }
        self.scratch
            .as_ref()
            .is_some_and(|req| self.answer(hook, req))
    }
}

/// dictum deciding on the workload's requests where they are (`Engine::layout`,
/// `decide_in_place`): no request is built, so both columns are equal, as the baseline's.
pub struct DictumInPlace {
    d: Dictum,
    layout: Option<dictum::engine::Layout<crate::handles::Held>>,
    held: Vec<crate::handles::Held>,
}

impl DictumInPlace {
    pub fn new(files: &[(String, String)]) -> DictumInPlace {
        DictumInPlace {
            d: Dictum::new(files),
            layout: None,
            held: vec![],
        }
    }

    #[inline]
    fn decide(&self, hook: Hook, i: usize) -> bool {
        match (&self.layout, self.held.get(i)) {
            (Some(l), Some(h)) => self
                .d
                .answer_of(hook, self.d.snap.decide_in_place(hook, l, h)),
            _ => false,
        }
    }
}

impl Peer for DictumInPlace {
    fn prepare(&mut self, pool: &'static [Req]) {
        let h = Handles::new(&self.d.snap);
        self.held = pool
            .iter()
            .map(|r| crate::handles::Held {
                req: r.clone(),
                sym: h.symbols(r),
            })
            .collect();
        self.layout = Some(crate::handles::in_place_layout(&self.d.snap));
    }
    #[inline]
    fn eval(&mut self, hook: Hook, i: usize) -> bool {
        self.decide(hook, i)
    }
    #[inline]
    fn convert_eval(&mut self, hook: Hook, i: usize) -> bool {
        self.decide(hook, i)
    }
}
