//! dictum side by side with its peers: the shared benchmark workload (benches/workload.rs)
//! expressed in Cedar, Rego (regorus) and CEL, next to the hand-written Rust baseline and
//! dictum itself. For each scale it builds every engine (time and memory), checks that
//! every engine gives the baseline's answer for every request at every hook, and then times
//! decisions. See docs/PERFORMANCE.md, "Side by side with the peers".
//!
//! `cargo run --release -p peers -- [--tenants 1,100,1000,10000] [--requests N] [--reps R]
//!  [--rounds K] [--target-ms MS] [--only ENGINE,...] [--cap ENGINE=TENANTS,...]`
//! (`--help` lists the engines and the default caps).

#[path = "../../handles.rs"]
mod handles;
#[path = "../../workload.rs"]
mod workload;

mod cedar;
mod cel;
mod measure;
mod natives;
mod rego;

use dictum::types::Hook;
use measure::{Build, Sample, Timing};
use std::collections::HashMap;
use std::time::Duration;
use workload::{Baseline, Req};

#[global_allocator]
static ALLOC: measure::Counting = measure::Counting;

pub const HOOKS: [Hook; 5] = Hook::ALL;

/// An engine under test. `i` indexes the request pool given to `prepare`.
pub trait Peer {
    /// Convert every request of the pool into the engine's native form (untimed).
    fn prepare(&mut self, pool: &'static [Req]);
    /// Decide on a request already in native form.
    fn eval(&mut self, hook: Hook, i: usize) -> bool;
    /// Convert the workload's `Req` to the native form, then decide.
    fn convert_eval(&mut self, hook: Hook, i: usize) -> bool;
    /// Evaluation errors the engine reported but folded into its answer (Cedar skips a
    /// policy whose condition errs); the agreement check requires none.
    fn errors(&self, _hook: Hook, _i: usize) -> usize {
        0
    }
}

struct Args {
    tenants: Vec<usize>,
    requests: usize,
    reps: usize,
    rounds: usize,
    target_ms: u64,
    only: Option<Vec<String>>,
    caps: HashMap<String, usize>,
}

fn usage() -> ! {
    eprintln!(
        "usage: peers [--tenants 1,100,1000,10000] [--requests N] [--reps R] [--rounds K] [--target-ms MS] [--only ENGINE,...] [--cap ENGINE=TENANTS,...]"
    );
    eprintln!("engines: {}", ENGINES.join(", "));
    eprintln!(
        "--cap: above TENANTS, ENGINE runs reduced: {REDUCED_REQUESTS} requests checked, one round of {REDUCED_REPS} short repetitions"
    );
    eprintln!(
        "default caps: {}",
        DEFAULT_CAPS
            .iter()
            .map(|(e, n)| format!("{e}={n}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    std::process::exit(2)
}

/// Cedar with every tenant in one `PolicySet` evaluates all of them on every decision
/// (~40 ms a decision at 10,000 tenants): above 1,000 tenants it runs reduced.
const DEFAULT_CAPS: [(&str, usize); 1] = [("cedar-one", 1_000)];
const REDUCED_REQUESTS: usize = 100;
const REDUCED_REPS: usize = 3;

fn args() -> Args {
    let mut a = Args {
        tenants: vec![1, 100, 1_000, 10_000],
        requests: 1024,
        reps: 7,
        rounds: 3,
        target_ms: 30,
        only: None,
        caps: DEFAULT_CAPS
            .iter()
            .map(|(e, n)| (e.to_string(), *n))
            .collect(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--tenants" => {
                a.tenants = val()
                    .split(',')
                    .map(|s| s.trim().parse().unwrap_or_else(|_| usage()))
                    .collect()
            }
            "--requests" => a.requests = val().parse().unwrap_or_else(|_| usage()),
            "--reps" => a.reps = val().parse().unwrap_or_else(|_| usage()),
            "--rounds" => a.rounds = val().parse().unwrap_or_else(|_| usage()),
            "--target-ms" => a.target_ms = val().parse().unwrap_or_else(|_| usage()),
            "--only" => a.only = Some(val().split(',').map(String::from).collect()),
            "--cap" => {
                for c in val().split(',') {
                    let (e, n) = c.split_once('=').unwrap_or_else(|| usage());
                    a.caps
                        .insert(e.into(), n.parse().unwrap_or_else(|_| usage()));
                }
            }
            _ => usage(),
        }
    }
    if a.requests == 0 || a.reps == 0 || a.rounds == 0 {
        usage()
    }
    a
}

/// Engine ids, in table order.
const ENGINES: [&str; 10] = [
    "baseline",
    "dictum",
    "dictum-in-place",
    "cedar-per-tenant",
    "cedar-one",
    "rego-rvm",
    "rego-rvm-per-tenant",
    "rego-interp",
    "cel",
    "cel-per-tenant",
];

/// One round's timings of one engine.
#[derive(Clone, Copy)]
struct Times {
    eval: Sample,
    conv: Sample,
    /// convert+eval with each request at the five hooks in a row (as a runtime decides
    /// one object's request), instead of round-robin.
    flow: Sample,
    hooks: [Sample; 5],
    /// 1-thread and 2-thread decisions per second (dictum and the baseline only).
    mt: Option<(f64, f64)>,
}

/// A built engine, timed in rounds interleaved with the other engines (so a burst of load
/// from other jobs on the machine does not fall on one engine only).
trait Bench {
    fn time(&mut self, n: usize, t: Timing) -> Times;
}

struct Timed<P: Peer> {
    p: P,
    mt: Option<fn(&P, usize, &Timing) -> (f64, f64)>,
}

impl<P: Peer> Bench for Timed<P> {
    fn time(&mut self, n: usize, t: Timing) -> Times {
        let p = &mut self.p;
        // Round-robin over the hooks: 5 and the pool size (1,024) are coprime, so every
        // (request, hook) pair comes up.
        let eval = measure::time(t, |k| p.eval(HOOKS[(k % 5) as usize], k as usize % n));
        let conv = measure::time(t, |k| {
            p.convert_eval(HOOKS[(k % 5) as usize], k as usize % n)
        });
        let flow = measure::time(t, |k| {
            p.convert_eval(HOOKS[(k % 5) as usize], (k / 5) as usize % n)
        });
        let hooks = HOOKS.map(|h| measure::time(t, |k| p.eval(h, k as usize % n)));
        let mt = self.mt.map(|f| f(&self.p, n, &t));
        Times {
            eval,
            conv,
            flow,
            hooks,
            mt,
        }
    }
}

struct Row {
    engine: &'static str,
    shape: String,
    build: Build,
    checked: usize,
    agreed: usize,
    /// Requests checked, if fewer than the pool (a capped engine).
    reduced: Option<usize>,
    bench: Box<dyn Bench>,
    rounds: Vec<Times>,
}

fn mib(x: f64) -> String {
    if x.abs() < 0.05 {
        "0.0".into()
    } else {
        format!("{x:.1}")
    }
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.1} ms", ns / 1e6)
    } else if ns >= 100_000.0 {
        format!("{:.0} µs", ns / 1e3)
    } else if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns >= 100.0 {
        format!("{ns:.0}")
    } else {
        format!("{ns:.1}")
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Check every request at every hook, on both paths, against the baseline. A disagreement
/// is fatal.
fn check<P: Peer>(name: &str, p: &mut P, base: &Baseline, pool: &[Req]) -> (usize, usize) {
    let mut checked = 0;
    let mut agreed = 0;
    for (i, r) in pool.iter().enumerate() {
        for hook in HOOKS {
            let want = natives::Base::answer(base, hook, r);
            for (path, got) in [
                ("eval", p.eval(hook, i)),
                ("convert+eval", p.convert_eval(hook, i)),
            ] {
                checked += 1;
                if got != want {
                    eprintln!(
                        "DISAGREEMENT: {name} ({path}) says {got} at {} where the baseline says {want}\nrequest #{i}: {r:#?}",
                        hook.name()
                    );
                    std::process::exit(1);
                }
                agreed += 1;
            }
            let errors = p.errors(hook, i);
            if errors != 0 {
                eprintln!(
                    "EVALUATION ERRORS: {name} reported {errors} error(s) at {}\nrequest #{i}: {r:#?}",
                    hook.name()
                );
                std::process::exit(1);
            }
        }
    }
    (checked, agreed)
}

/// Build (measured), convert the pool, check agreement; timing comes later, in rounds.
fn add<P: Peer + 'static>(
    rows: &mut Vec<Row>,
    engine: &'static str,
    shape: String,
    built: (P, Build),
    base: &Baseline,
    pool: &'static [Req],
    reduced: bool,
    mt: Option<fn(&P, usize, &Timing) -> (f64, f64)>,
) {
    let (mut p, build) = built;
    let check_pool = if reduced {
        &pool[..pool.len().min(REDUCED_REQUESTS)]
    } else {
        pool
    };
    eprintln!(
        "  {engine}: built in {:.1} ms; checking {} requests",
        build.ms,
        check_pool.len()
    );
    p.prepare(pool);
    let (checked, agreed) = check(engine, &mut p, base, check_pool);
    eprintln!("  {engine}: {agreed}/{checked} decisions agree");
    rows.push(Row {
        engine,
        shape,
        build,
        checked,
        agreed,
        reduced: reduced.then_some(check_pool.len()),
        bench: Box::new(Timed { p, mt }),
        rounds: vec![],
    });
}

fn versions() -> Vec<(String, String)> {
    let lock = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"));
    let mut out = vec![];
    let mut name = "";
    for line in lock.lines() {
        if let Some(v) = line.strip_prefix("name = ") {
            name = v.trim_matches('"');
        } else if let Some(v) = line.strip_prefix("version = ")
            && [
                "dictum",
                "cedar-policy",
                "regorus",
                "cel-interpreter",
                "cel-parser",
                "cedar-policy-core",
            ]
            .contains(&name)
        {
            out.push((name.to_string(), v.trim_matches('"').to_string()));
        }
    }
    out
}

fn main() {
    let a = args();
    let t = Timing {
        reps: a.reps,
        target: Duration::from_millis(a.target_ms),
        min_iters: 64,
    };
    let reduced_t = Timing {
        reps: REDUCED_REPS,
        target: Duration::from_millis(a.target_ms),
        min_iters: 8,
    };
    let wanted = |e: &str| a.only.as_ref().is_none_or(|o| o.iter().any(|x| x == e));
    println!("# dictum and its peers\n");
    println!(
        "command: `{}`\n",
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    println!(
        "machine: {} cores ({}); load average at start {}\n",
        measure::nproc(),
        measure::cpu_model(),
        measure::loadavg()
    );
    println!(
        "crates: {}\n",
        versions()
            .iter()
            .map(|(n, v)| format!("{n} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "timing: per engine and measurement, {} rounds (interleaved across engines) of {} repetitions, each repetition calibrated to ~{} ms and at least {} decisions; \
         reported: the median over rounds of each round's median. Requests cycle through a pool of {}; the eval and convert+eval columns go round-robin over the five hooks, the flow column takes each request at the five hooks in a row.",
        a.rounds,
        t.reps,
        a.target_ms,
        t.min_iters,
        a.requests.min(1024)
    );
    for &n_tenants in &a.tenants {
        let w = workload::workload(n_tenants);
        let pool: &'static [Req] = Vec::leak(workload::requests(&w, a.requests, 42));
        let n = pool.len().min(1024);
        let base = Baseline::new(&w);
        let allow: Vec<String> = HOOKS
            .iter()
            .map(|&h| {
                format!(
                    "{} {}",
                    h.name(),
                    pool.iter()
                        .filter(|r| natives::Base::answer(&base, h, r))
                        .count()
                )
            })
            .collect();
        let load_before = measure::loadavg();
        eprintln!("== {n_tenants} tenants: load average {load_before}");
        let mut rows: Vec<Row> = vec![];
        let reduced = |e: &str| a.caps.get(e).is_some_and(|&cap| n_tenants > cap);

        // Each engine's inputs (policy text, data text) are made before its timed build.
        if wanted("baseline") {
            let built = measure::build(|| natives::Base::new(&w));
            add(
                &mut rows,
                "baseline",
                "hand-written Rust: `HashMap` domain -> tenant".into(),
                built,
                &base,
                pool,
                reduced("baseline"),
                Some(mt_baseline),
            );
        }
        if wanted("dictum") {
            let files = workload::dictum_files(&w);
            let shape = format!(
                "templates, an instance set per tenant ({} files); typed builder",
                files.len()
            );
            let built = measure::build(|| natives::Dictum::new(&files));
            add(
                &mut rows,
                "dictum",
                shape,
                built,
                &base,
                pool,
                reduced("dictum"),
                Some(mt_dictum),
            );
        }
        if wanted("dictum-in-place") {
            let files = workload::dictum_files(&w);
            let built = measure::build(|| natives::DictumInPlace::new(&files));
            add(
                &mut rows,
                "dictum-in-place",
                "the same bundle; requests read in place through a `Layout`".into(),
                built,
                &base,
                pool,
                reduced("dictum-in-place"),
                None,
            );
        }
        if wanted("cedar-per-tenant") {
            let texts = cedar::texts_per_tenant(&w);
            let built = measure::build(|| cedar::PerTenant::new(&texts));
            add(
                &mut rows,
                "cedar-per-tenant",
                "`HashMap` domain -> the tenant's `PolicySet` per hook".into(),
                built,
                &base,
                pool,
                reduced("cedar-per-tenant"),
                None,
            );
        }
        if wanted("cedar-one") {
            let texts = cedar::texts_one(&w);
            let built = measure::build(|| cedar::One::new(&texts));
            let shape = format!(
                "one `PolicySet` per hook, all tenants ({} policies)",
                built.0.policies()
            );
            add(
                &mut rows,
                "cedar-one",
                shape,
                built,
                &base,
                pool,
                reduced("cedar-one"),
                None,
            );
        }
        if wanted("rego-rvm") {
            let (policy, data) = (rego::policy(), rego::data_json(&w));
            let built = measure::build(|| rego::Rvm::new(&policy, &data));
            add(
                &mut rows,
                "rego-rvm",
                "shared rules, tenants in `data`; RVM bytecode".into(),
                built,
                &base,
                pool,
                reduced("rego-rvm"),
                None,
            );
        }
        if wanted("rego-rvm-per-tenant") {
            let files = rego::per_tenant_policies(&w);
            let domains: Vec<String> = w.tenants.iter().map(|t| t.domain.clone()).collect();
            let built = measure::build(|| rego::RvmPerTenant::new(&files, &domains));
            add(
                &mut rows,
                "rego-rvm-per-tenant",
                "a package per tenant, constants inlined; RVM bytecode".into(),
                built,
                &base,
                pool,
                reduced("rego-rvm-per-tenant"),
                None,
            );
        }
        if wanted("rego-interp") {
            let (policy, data) = (rego::policy(), rego::data_json(&w));
            let built = measure::build(|| rego::Interp::new(&policy, &data));
            add(
                &mut rows,
                "rego-interp",
                "shared rules, tenants in `data`; interpreter".into(),
                built,
                &base,
                pool,
                reduced("rego-interp"),
                None,
            );
        }
        if wanted("cel") {
            let built = measure::build(|| cel::Cel::new(&w));
            add(
                &mut rows,
                "cel",
                "a program per hook; the tenant's map bound per request".into(),
                built,
                &base,
                pool,
                reduced("cel"),
                None,
            );
        }
        if wanted("cel-per-tenant") {
            let texts: Vec<(String, [String; 3])> = w
                .tenants
                .iter()
                .map(|t| (t.domain.clone(), cel::tenant_programs(t)))
                .collect();
            let built = measure::build(|| cel::PerTenant::new(&texts));
            add(
                &mut rows,
                "cel-per-tenant",
                "programs per tenant, constants inlined".into(),
                built,
                &base,
                pool,
                reduced("cel-per-tenant"),
                None,
            );
        }

        for round in 0..a.rounds {
            eprintln!(
                "  round {} of {}: load average {}",
                round + 1,
                a.rounds,
                measure::loadavg()
            );
            for r in rows.iter_mut() {
                if r.reduced.is_some() && round > 0 {
                    continue;
                }
                let times = r
                    .bench
                    .time(n, if r.reduced.is_some() { reduced_t } else { t });
                eprintln!(
                    "    {}: eval {}, convert+eval {}, flow {}",
                    r.engine,
                    fmt_ns(times.eval.ns),
                    fmt_ns(times.conv.ns),
                    fmt_ns(times.flow.ns)
                );
                r.rounds.push(times);
            }
        }
        report(n_tenants, &load_before, &allow, pool.len(), n, &rows);
    }
}

fn report(
    n_tenants: usize,
    load_before: &str,
    allow: &[String],
    checked: usize,
    n: usize,
    rows: &[Row],
) {
    let med = |r: &Row, f: &dyn Fn(&Times) -> f64| median(r.rounds.iter().map(f).collect());
    println!(
        "\n### {n_tenants} tenant{}\n",
        if n_tenants == 1 { "" } else { "s" }
    );
    println!(
        "Load average {load_before} before, {} after. The baseline allows, over the {checked} requests: {}.\n",
        measure::loadavg(),
        allow.join(", ")
    );
    println!("Eval and convert+eval: time per decision, in ns unless marked µs or ms.\n");
    println!(
        "| engine | shape | compile/load ms | eval | convert+eval | convert+eval, flow | heap MiB (peak in build) | RSS Δ MiB (peak in build) | agreement |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        let mark = if r.reduced.is_some() { " ¹" } else { "" };
        println!(
            "| {}{mark} | {} | {:.1} | {} | {} | {} | {} ({}) | {} ({}) | {}/{} |",
            r.engine,
            r.shape,
            r.build.ms,
            fmt_ns(med(r, &|t| t.eval.ns)),
            fmt_ns(med(r, &|t| t.conv.ns)),
            fmt_ns(med(r, &|t| t.flow.ns)),
            mib(r.build.heap),
            mib(r.build.heap_peak),
            mib(r.build.rss),
            mib(r.build.rss_peak),
            r.agreed,
            r.checked
        );
    }
    for r in rows.iter().filter(|r| r.reduced.is_some()) {
        println!(
            "\n¹ {} is capped at this scale: {} requests checked ({} decisions), one round of {REDUCED_REPS} repetitions of at least 8 decisions each.",
            r.engine,
            r.reduced.unwrap_or(0),
            r.checked
        );
    }
    println!(
        "\nEval per hook (median; where a repetition was shorter than one pass over the {n} requests, its length is in brackets):\n"
    );
    println!("| engine | {} |", HOOKS.map(|h| h.name()).join(" | "));
    println!("|---|{}", "---:|".repeat(5));
    for r in rows {
        let cells: Vec<String> = (0..5)
            .map(|h| {
                let ns = fmt_ns(med(r, &|t| t.hooks[h].ns));
                let iters = r.rounds.iter().map(|t| t.hooks[h].iters).min().unwrap_or(0);
                if (iters as usize) < n {
                    format!("{ns} [{iters}]")
                } else {
                    ns
                }
            })
            .collect();
        println!("| {} | {} |", r.engine, cells.join(" | "));
    }
    let spread = |f: &dyn Fn(&Times) -> f64| {
        rows.iter()
            .filter(|r| r.rounds.len() > 1)
            .map(|r| {
                let v: Vec<f64> = r.rounds.iter().map(f).collect();
                let (lo, hi) = v
                    .iter()
                    .fold((f64::MAX, 0f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
                (hi / lo, r.engine)
            })
            .fold((1.0, ""), |a, b| if b.0 > a.0 { b } else { a })
    };
    let (se, ee) = spread(&|t| t.eval.ns);
    let (sc, ec) = spread(&|t| t.conv.ns);
    let (sf, ef) = spread(&|t| t.flow.ns);
    println!(
        "\nLargest ratio between the slowest and fastest round: eval {se:.2}x ({ee}), convert+eval {sc:.2}x ({ec}), flow {sf:.2}x ({ef})."
    );
    let mt: Vec<_> = rows
        .iter()
        .filter(|r| r.rounds.iter().any(|t| t.mt.is_some()))
        .collect();
    if !mt.is_empty() {
        println!(
            "\nThroughput with one engine shared by the threads, on prebuilt requests, hooks round-robin (million decisions/s):\n"
        );
        println!("| engine | 1 thread | 2 threads | 2 threads / 1 thread |");
        println!("|---|---:|---:|---:|");
        for r in mt {
            let one = med(r, &|t| t.mt.map_or(0.0, |m| m.0));
            let two = med(r, &|t| t.mt.map_or(0.0, |m| m.1));
            println!(
                "| {} | {:.1} | {:.1} | {:.2} |",
                r.engine,
                one / 1e6,
                two / 1e6,
                two / one
            );
        }
    }
}

/// Decisions per second with 1 and 2 threads sharing the baseline.
fn mt_baseline(b: &natives::Base, n: usize, t: &Timing) -> (f64, f64) {
    let pool = b.pool();
    let f = |th: usize, k: u64| {
        natives::Base::answer(
            &b.b,
            HOOKS[(k % 5) as usize],
            &pool[(k as usize + th * 512) % n],
        )
    };
    let per = measure::time(*t, |k| f(0, k)).ns;
    let iters = ((0.2e9 / per) as u64).max(1000);
    (
        measure::throughput(1, iters, t.reps, f),
        measure::throughput(2, iters, t.reps, f),
    )
}

/// Decisions per second with 1 and 2 threads sharing one dictum `Engine`: each decision
/// goes through `Engine::decide`, which loads the current bundle atomically.
fn mt_dictum(d: &natives::Dictum, n: usize, t: &Timing) -> (f64, f64) {
    let built = d.built();
    let f = |th: usize, k: u64| {
        d.answer_shared(HOOKS[(k % 5) as usize], &built[(k as usize + th * 512) % n])
    };
    let per = measure::time(*t, |k| f(0, k)).ns;
    let iters = ((0.2e9 / per) as u64).max(1000);
    (
        measure::throughput(1, iters, t.reps, f),
        measure::throughput(2, iters, t.reps, f),
    )
}
