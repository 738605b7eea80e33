//! Measurement: wall-clock timing (median of repetitions), heap and RSS accounting, and the
//! machine's description.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// Heap accounting. A counting allocator that counts only while `COUNTING` is set (during an
// engine's build), so the timed loops pay one relaxed load of a flag per allocation and
// nothing else, and the two-thread runs do not contend on a shared counter.
// ---------------------------------------------------------------------------------------

pub struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

#[inline]
fn grew(by: isize) {
    let now = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if COUNTING.load(Relaxed) && !p.is_null() {
            grew(l.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(l) };
        if COUNTING.load(Relaxed) && !p.is_null() {
            grew(l.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        if COUNTING.load(Relaxed) {
            LIVE.fetch_sub(l.size() as isize, Relaxed);
        }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if COUNTING.load(Relaxed) && !q.is_null() {
            grew(new as isize - l.size() as isize);
        }
        q
    }
}

/// What building one engine cost.
#[derive(Clone, Copy, Debug, Default)]
pub struct Build {
    pub ms: f64,
    /// Heap bytes allocated during the build and still live after it: the engine's own data.
    pub heap: f64,
    /// The highest heap growth during the build (temporaries included).
    pub heap_peak: f64,
    /// Growth of the process's resident set (VmRSS) over the build: includes allocator
    /// slack and pages freed to malloc but not to the kernel.
    pub rss: f64,
    /// Peak resident set during the build (VmHWM after resetting it) minus VmRSS before.
    pub rss_peak: f64,
}

fn status_kib(field: &str) -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Build something, measuring wall time, heap and resident memory.
pub fn build<T>(f: impl FnOnce() -> T) -> (T, Build) {
    // "5" resets the peak resident set size (VmHWM) to the current RSS (Linux >= 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss0 = status_kib("VmRSS:").unwrap_or(0.0);
    LIVE.store(0, Relaxed);
    PEAK.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    let t = Instant::now();
    let v = f();
    let ms = t.elapsed().as_secs_f64() * 1e3;
    COUNTING.store(false, Relaxed);
    let rss1 = status_kib("VmRSS:").unwrap_or(0.0);
    let hwm = status_kib("VmHWM:").unwrap_or(0.0);
    let mib = |b: f64| b / (1024.0 * 1024.0);
    let b = Build {
        ms,
        heap: mib(LIVE.load(Relaxed) as f64),
        heap_peak: mib(PEAK.load(Relaxed) as f64),
        rss: (rss1 - rss0) / 1024.0,
        rss_peak: (hwm - rss0) / 1024.0,
    };
    (v, b)
}

// ---------------------------------------------------------------------------------------
// Timing: calibrate an iteration count so one repetition takes about `target`, then run
// `reps` repetitions and report the median nanoseconds per iteration.
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub reps: usize,
    pub target: Duration,
    /// Fewest iterations per repetition (the slowest configurations go below one pass over
    /// the 1,024-request pool; the report says so).
    pub min_iters: u64,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    pub ns: f64,
    /// Iterations per repetition.
    pub iters: u64,
}

fn run<F: FnMut(u64) -> bool>(iters: u64, f: &mut F) -> Duration {
    let mut yes = 0u64;
    let t = Instant::now();
    for k in 0..iters {
        yes += u64::from(f(black_box(k)));
    }
    let d = t.elapsed();
    black_box(yes);
    d
}

pub fn time<F: FnMut(u64) -> bool>(cfg: Timing, mut f: F) -> Sample {
    // Calibrate (this also warms caches and branch predictors).
    let mut iters = 8u64;
    let per = loop {
        let d = run(iters, &mut f);
        if d >= Duration::from_millis(5) || iters >= 1 << 26 {
            break d.as_secs_f64() / iters as f64;
        }
        iters *= 4;
    };
    let iters = ((cfg.target.as_secs_f64() / per) as u64)
        .max(cfg.min_iters)
        .max(1);
    let mut ns: Vec<f64> = (0..cfg.reps)
        .map(|_| run(iters, &mut f).as_secs_f64() * 1e9 / iters as f64)
        .collect();
    ns.sort_by(|a, b| a.total_cmp(b));
    let med = ns[ns.len() / 2];
    Sample { ns: med, iters }
}

/// Decisions per second of `threads` threads sharing one engine, each running `iters`
/// decisions; the median of `reps` repetitions. `f(thread, k)` makes decision k.
pub fn throughput<F: Fn(usize, u64) -> bool + Sync>(
    threads: usize,
    iters: u64,
    reps: usize,
    f: F,
) -> f64 {
    let mut rates: Vec<f64> = (0..reps)
        .map(|_| {
            let barrier = std::sync::Barrier::new(threads + 1);
            let f = &f;
            let barrier = &barrier;
            std::thread::scope(|s| {
                let hs: Vec<_> = (0..threads)
                    .map(|t| {
                        s.spawn(move || {
                            barrier.wait();
                            let mut yes = 0u64;
                            for k in 0..iters {
                                yes += u64::from(f(t, black_box(k)));
                            }
                            black_box(yes);
                        })
                    })
                    .collect();
                barrier.wait();
                let t0 = Instant::now();
                for h in hs {
                    h.join().expect("thread");
                }
                (threads as u64 * iters) as f64 / t0.elapsed().as_secs_f64()
            })
        })
        .collect();
    rates.sort_by(|a, b| a.total_cmp(b));
    rates[rates.len() / 2]
}

// ---------------------------------------------------------------------------------------
// The machine.
// ---------------------------------------------------------------------------------------

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}

pub fn nproc() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0)
}
