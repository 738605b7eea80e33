//! The table a decision finds its tenant's rules in: from a domain name to a bucket of
//! two cache lines that holds the domain's rules at all five hooks.
//!
//! With many tenants a decision's cost is the chain of loads from memory no other recent
//! request touched, each waiting for the one before (docs/PERFORMANCE.md, "What limits
//! it"). A shared name table giving a number, then a per-hook array of rules, then the
//! rule entries, then the constants they test, is four such loads. Here the bucket is the
//! rules, and it also says where the domain's entries and inline constants are, so both
//! are requested from memory at once (see [`prefetch`]) instead of one after the other.
//! One bucket serves every hook: the requests of one object come to several hooks in a
//! row, and the second finds the bucket the first brought into cache.
//!
//! Probing runs over a separate array of 16-bit tags (a slice of each name's hash), 32
//! to a cache line and small enough to stay in cache: with buckets of two lines, probing
//! the buckets themselves would fetch lines per probe.

use crate::vm::consts::{eq_byte_slices, hash_str};

/// No inline constants to prefetch.
pub(super) const NO_HINT: u32 = u32::MAX;

/// The tag of an empty bucket (a name's tag is never 0).
const EMPTY: u16 = 0;

/// Names up to this long are held in their bucket; longer ones in [`DomainTable::names`].
const SHORT: usize = 20;

/// One domain's rules at one hook, packed into 20 bytes so that the five hooks' share a
/// bucket with the name (`engine::decide` packs and unpacks them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub(super) struct HookRules {
    /// Where the domain's entries start in the hook's entries.
    pub start: u32,
    /// Where its forbids, permits, defaults and the rest end, counted from `start`.
    pub ends: [u16; 4],
    /// 1 + where the domain's rules are in full in the hook's extras, for the few domains
    /// with class, tag or owner policies or more entries than `ends` counts; 0 for none.
    pub extra: u32,
    /// Where the first inline set the domain's rules test starts in the conditions'
    /// inline words, or [`NO_HINT`].
    pub hint: u32,
}

impl HookRules {
    /// No rules at this hook.
    pub const NONE: HookRules = HookRules {
        start: 0,
        ends: [0; 4],
        extra: 0,
        hint: NO_HINT,
    };

    #[inline(always)]
    pub fn is_none(&self) -> bool {
        self.extra == 0 && self.ends[3] == 0
    }
}

/// One domain: 128 bytes, aligned, so two adjacent lines from memory bring all of it. The
/// first line holds a short name and the first two hooks (instantiate and access, the
/// most frequent, bytes 24 to 63), so a decision there reads one line.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(128))]
pub(super) struct Bucket {
    /// The name's length.
    len: u32,
    /// The name itself, if at most [`SHORT`] bytes (zero-padded): the name check then
    /// reads the line the rules are on, instead of a line of the names elsewhere.
    short: [u8; SHORT],
    /// The rules at each hook, by `Hook::index`.
    hooks: [HookRules; 5],
    /// Where the name starts in [`DomainTable::names`], if longer than [`SHORT`].
    off: u32,
}

impl Bucket {
    /// The domain's rules at the hook of this index (`Hook::index`).
    #[inline(always)]
    pub fn at(&self, hook: usize) -> &HookRules {
        self.hooks.get(hook).unwrap_or(&HookRules::NONE)
    }
}

/// The domains with rules at any hook.
#[derive(Debug, Default)]
pub(super) struct DomainTable {
    /// Each bucket's [`tag`], [`EMPTY`] for none: open addressing, linear probing, at least
    /// one and a half buckets a name, rounded down (at most three quarters full).
    tags: Box<[u16]>,
    /// The buckets, beside their tags.
    buckets: Box<[Bucket]>,
    mask: usize,
    /// The names longer than [`SHORT`], end to end.
    names: Box<str>,
}

impl DomainTable {
    /// A table of these domains (each name once) with their rules at each hook.
    pub fn new<'s>(items: impl IntoIterator<Item = (&'s str, [HookRules; 5])>) -> DomainTable {
        let items: Vec<(&str, [HookRules; 5])> = items.into_iter().collect();
        if items.is_empty() {
            return DomainTable::default();
        }
        let cap = (items.len() + items.len() / 2).next_power_of_two().max(4);
        let mask = cap - 1;
        let empty = Bucket {
            len: 0,
            short: [0; SHORT],
            hooks: [HookRules::NONE; 5],
            off: 0,
        };
        let mut buckets = vec![empty; cap];
        let mut tags = vec![EMPTY; cap];
        let long = items.iter().map(|(d, _)| d.len()).filter(|&n| n > SHORT);
        let mut names = String::with_capacity(long.sum());
        for (name, hooks) in items {
            let h = hash_str(name);
            let mut b = (h as usize) & mask;
            // The table is at most three quarters full, so a free bucket is always found.
            for _ in 0..cap {
                match tags.get(b) {
                    Some(&EMPTY) => break,
                    _ => b = (b + 1) & mask,
                }
            }
            let off = u32::try_from(names.len()).unwrap_or(u32::MAX);
            let mut short = [0; SHORT];
            match short.get_mut(..name.len()) {
                Some(s) => s.copy_from_slice(name.as_bytes()),
                None => names.push_str(name),
            }
            if let (Some(t), Some(slot)) = (tags.get_mut(b), buckets.get_mut(b)) {
                *t = tag(h);
                *slot = Bucket {
                    len: u32::try_from(name.len()).unwrap_or(u32::MAX),
                    short,
                    hooks,
                    off,
                };
            }
        }
        DomainTable {
            tags: tags.into(),
            buckets: buckets.into(),
            mask,
            names: names.into(),
        }
    }

    /// The bucket of `domain`, if it has rules at some hook.
    #[inline(always)]
    pub fn get(&self, domain: &str) -> Option<&Bucket> {
        let h = hash_str(domain);
        let want = tag(h);
        let mut b = (h as usize) & self.mask;
        for _ in 0..self.tags.len() {
            let t = *self.tags.get(b)?;
            if t == EMPTY {
                return None;
            }
            if t == want {
                let k = self.buckets.get(b)?;
                // The name compare is off the critical path: the processor goes on into
                // the rules (same line) while the name is fetched.
                if k.len as usize == domain.len() && eq_byte_slices(self.name(k), domain.as_bytes())
                {
                    return Some(k);
                }
            }
            b = (b + 1) & self.mask;
        }
        None
    }

    #[inline(always)]
    fn name<'t>(&'t self, k: &'t Bucket) -> &'t [u8] {
        let n = k.len as usize;
        match k.short.get(..n) {
            Some(short) => short,
            None => self
                .names
                .as_bytes()
                .get(k.off as usize..k.off as usize + n)
                .unwrap_or(&[]),
        }
    }
}

/// The part of a hash a bucket's tag keeps (the low bits pick the bucket), never
/// [`EMPTY`].
#[inline(always)]
fn tag(h: u64) -> u16 {
    ((h >> 48) as u16) | 1
}

/// Ask the processor to start loading `LINES` cache lines from `items[at]` on, without
/// waiting for them: the decision's next loads then find them on the way or in cache. A
/// hint only: no check is made, as lines past the end are only a wasted request.
#[inline(always)]
pub(super) fn prefetch<T, const LINES: usize>(items: &[T], at: usize) {
    // `wrapping_add` keeps the address computation itself safe wherever it points.
    let base: *const u8 = items.as_ptr().wrapping_add(at).cast();
    for line in 0..LINES {
        prefetch_line(base.wrapping_add(line * 64));
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[expect(
    unsafe_code,
    reason = "`prefetcht0` is a hint with no architectural effect: it never faults, reads \
              nothing into the program and writes nothing, whatever the address; SSE, which \
              provides it, is part of the x86_64 baseline, so the target feature is always \
              present"
)]
fn prefetch_line(p: *const u8) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: see the `expect` above: no memory is accessed and the feature is baseline.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn prefetch_line(_p: *const u8) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rules at one hook (`n` marks them) and none at the others.
    fn rules(hook: usize, n: u32) -> [HookRules; 5] {
        let mut at = [HookRules::NONE; 5];
        if let Some(r) = at.get_mut(hook) {
            *r = HookRules {
                start: n,
                ends: [1, 1, 1, 1],
                extra: 0,
                hint: n,
            };
        }
        at
    }

    #[test]
    fn buckets_are_two_cache_lines_the_first_two_hooks_on_the_first() {
        assert_eq!(size_of::<HookRules>(), 20);
        assert_eq!(size_of::<Bucket>(), 128);
        assert_eq!(align_of::<Bucket>(), 128);
        assert_eq!(std::mem::offset_of!(Bucket, hooks), 24);
        assert_eq!(std::mem::offset_of!(Bucket, off), 124);
    }

    #[test]
    fn finds_every_domain_and_no_other() {
        // Names held in their buckets (up to 20 bytes) and in the names beside (longer),
        // with lengths on both sides of the limit.
        let names: Vec<String> = (0..1000)
            .map(|i| match i % 3 {
                0 => format!("t{i}.example"),
                1 => format!("{i:0>20}"),
                _ => format!("{i:0>21}.customers.example"),
            })
            .collect();
        assert!(names.iter().any(|n| n.len() == SHORT));
        assert!(names.iter().any(|n| n.len() > SHORT));
        let t = DomainTable::new(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_str(), rules(i % 5, i as u32))),
        );
        for (i, n) in names.iter().enumerate() {
            let b = t.get(n);
            assert_eq!(b.map(|b| b.at(i % 5).start), Some(i as u32), "{n}");
            // Each hook reads its own rules, and only its own.
            for h in 0..5 {
                assert_eq!(b.map(|b| b.at(h).is_none()), Some(h != i % 5), "{n} {h}");
            }
            assert!(b.is_some_and(|b| b.at(5).is_none()));
        }
        for miss in [
            "",
            "t1000.example",
            "t1.exampl",
            "T1.example",
            "t1.example.",
            "00000000000000000000",
            "00000000000000000002",
            "000000000000000000003.customers.example",
            "000000000000000000005.customers.exampl",
        ] {
            assert!(t.get(miss).is_none(), "{miss}");
        }
        assert!(DomainTable::new([]).get("t1.example").is_none());
    }

    #[test]
    fn a_full_probe_sequence_ends() {
        // In the smallest table (four buckets), probes for present and missing names end
        // at their match or at an empty bucket.
        let t = DomainTable::new([("a", rules(1, 1)), ("b", rules(1, 2))]);
        assert_eq!(t.get("a").map(|b| b.at(1).start), Some(1));
        assert_eq!(t.get("b").map(|b| b.at(1).start), Some(2));
        assert!(t.get("c").is_none());
    }

    #[test]
    fn names_sharing_a_tag_are_told_apart() {
        // Two names whose hashes give the same tag and the same first bucket: the second
        // is found by probing past the first, and a third with that tag is absent.
        let mut by_tag: std::collections::HashMap<(u16, u64), String> = Default::default();
        let mut pair = None;
        for i in 0..200_000 {
            let n = format!("d{i}.example");
            let h = hash_str(&n);
            if let Some(first) = by_tag.insert((tag(h), h & 3), n.clone()) {
                pair = Some((first, n));
                break;
            }
        }
        let (a, b) = pair.expect("a shared tag among 200,000 names");
        let t = DomainTable::new([(a.as_str(), rules(2, 1)), (b.as_str(), rules(4, 7))]);
        assert_eq!(t.get(&a).map(|k| k.at(2).hint), Some(1));
        assert_eq!(t.get(&b).map(|k| k.at(4).hint), Some(7));
        let only_a = DomainTable::new([(a.as_str(), rules(2, 1))]);
        assert!(only_a.get(&b).is_none());
    }

    #[test]
    fn prefetching_changes_nothing_and_ignores_bad_indices() {
        let v: Vec<u64> = (0..100).collect();
        for at in [0, 50, 99, 100, 1000, usize::MAX] {
            prefetch::<_, 4>(&v, at);
        }
        prefetch::<u8, 2>(&[], 0);
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64));
    }
}
