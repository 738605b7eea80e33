//! Runtime forms of constants, built once when a bundle is loaded: hash sets of strings
//! with precomputed hashes, sorted number arrays, merged address ranges, domain-suffix
//! sets, compiled regular expressions and glob patterns.

use std::net::IpAddr;

/// A scalar value as the VM and requests hold it. Ints, timestamps, durations, times,
/// weekdays, enum values and lattice levels are all numbers; the checker knows which.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar<'a> {
    /// A bool.
    Bool(bool),
    /// An int, timestamp or duration (seconds), time of day (seconds since midnight),
    /// weekday (0 is Monday), enum value or lattice level (its index).
    Num(i64),
    /// A string.
    Str(&'a str),
    /// An address.
    Ip(IpAddr),
    /// A network.
    Cidr(ipnetwork::IpNetwork),
    /// A product-lattice value: level and compartment bitset.
    Label(u32, u64),
}

/// Fast non-cryptographic string hash (FxHash-style, 8 bytes at a time). Request data
/// cannot choose which buckets collide to any useful end: tables are small, built from
/// policy constants, and probing is bounded by the table size.
#[inline(always)]
pub fn hash_str(s: &str) -> u64 {
    hash_bytes(s.as_bytes())
}

/// [`hash_str`] over bytes. Reads whole words only: a tail shorter than eight bytes is read
/// as an overlapping word (or two half words), never byte by byte.
#[inline(always)]
pub fn hash_bytes(s: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let word8 =
        |b: Option<&[u8]>| u64::from_le_bytes(b.and_then(|b| b.try_into().ok()).unwrap_or([0; 8]));
    let word4 = |b: Option<&[u8]>| {
        u64::from(u32::from_le_bytes(
            b.and_then(|b| b.try_into().ok()).unwrap_or([0; 4]),
        ))
    };
    let n = s.len();
    let mut h: u64 = n as u64;
    if n >= 8 {
        let mut chunks = s.chunks_exact(8);
        for c in &mut chunks {
            h = mix(h, word8(Some(c)));
        }
        if !chunks.remainder().is_empty() {
            h = mix(h, word8(s.get(n - 8..)));
        }
    } else if n >= 4 {
        h = mix(h, word4(s.get(..4)) | (word4(s.get(n - 4..)) << 32));
    } else if let (Some(a), Some(b), Some(c)) = (s.first(), s.get(n / 2), s.last()) {
        h = mix(
            h,
            u64::from(*a) | (u64::from(*b) << 8) | (u64::from(*c) << 16),
        );
    }
    // Final avalanche so the low bits used for the bucket depend on every byte.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// A fast hasher for tables keyed by policy data (names, domains, constants): FxHash-style
/// mixing a word at a time, strings through [`hash_bytes`], and a final avalanche so that
/// both the low bits (bucket) and the high bits (hashbrown's tags) depend on every input.
/// The keys come from policies and from the engine's own tables, not from requests chosen
/// to collide.
#[derive(Clone, Copy, Debug, Default)]
pub struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for FastHasher {
    #[inline]
    fn finish(&self) -> u64 {
        let h = self.0 ^ (self.0 >> 33);
        let h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.add(hash_bytes(bytes));
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

/// String equality without a library call for short strings (country codes, roles,
/// domain names): the strings compared have equal hashes and lengths, so they are almost
/// always equal, and a call to `memcmp` would cost more than the comparison.
#[inline]
pub fn eq_bytes(a: &str, b: &str) -> bool {
    eq_byte_slices(a.as_bytes(), b.as_bytes())
}

/// [`eq_bytes`] over bytes (a name held in a fixed array).
#[inline]
pub fn eq_byte_slices(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let w8 = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    let w4 = |s: &[u8], at: usize| {
        s.get(at..at + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map(u32::from_le_bytes)
    };
    match n {
        0 => true,
        1..=3 => a.first() == b.first() && a.get(n / 2) == b.get(n / 2) && a.last() == b.last(),
        4..=8 => w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4),
        9..=16 => w8(a, 0) == w8(b, 0) && w8(a, n - 8) == w8(b, n - 8),
        17..=24 => w8(a, 0) == w8(b, 0) && w8(a, 8) == w8(b, 8) && w8(a, n - 8) == w8(b, n - 8),
        _ => a == b,
    }
}

/// An open-addressing hash set of strings. The strings live end to end in one arena and
/// each bucket holds (hash, offset, length), so a lookup touches two contiguous blocks of
/// memory: what matters once thousands of tenants' sets no longer fit in cache.
#[derive(Clone, Debug, Default)]
pub struct StrSet {
    /// The strings, sorted, end to end.
    arena: Box<str>,
    /// (offset, length) of each string in `arena`, in sorted order, for iteration.
    items: Box<[(u32, u32)]>,
    /// Open-addressing table, 16 bytes a bucket: (high half of the hash, index in sorted
    /// order, offset, length); length `u32::MAX` marks an empty bucket.
    buckets: Box<[Bucket]>,
    mask: usize,
    /// For sets of at most [`SMALL`] strings (blocked countries, a tenant's roles): each
    /// string's key, scanned instead of hashing the query.
    small: Box<[Key]>,
}

/// Sets this small are scanned: comparing a few keys costs less than hashing the query.
const SMALL: usize = 8;

/// A string's length and its first and last eight bytes (overlapping, zero-padded): for
/// strings of at most 16 bytes the key is the string itself; longer ones are compared in
/// full when their keys match.
///
/// A set's key also holds where its string is in the arena, so that a scan reads one
/// array; a query's key has offset 0, and [`Key::same`] ignores the offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    len: u32,
    off: u32,
    first: u64,
    last: u64,
}

impl Key {
    /// Whole-word loads only (as in [`hash_bytes`]): a copy of a variable number of bytes
    /// would be a library call. For at most 16 bytes the words cover every byte, so equal
    /// keys mean equal strings.
    #[inline(always)]
    fn of(s: &str) -> Key {
        let b = s.as_bytes();
        let n = b.len();
        let w8 = |at: usize| {
            u64::from_le_bytes(
                b.get(at..at + 8)
                    .and_then(|w| w.try_into().ok())
                    .unwrap_or([0; 8]),
            )
        };
        let w4 = |at: usize| {
            u64::from(u32::from_le_bytes(
                b.get(at..at + 4)
                    .and_then(|w| w.try_into().ok())
                    .unwrap_or([0; 4]),
            ))
        };
        let (first, last) = if n >= 8 {
            (w8(0), w8(n - 8))
        } else if n >= 4 {
            (w4(0) | (w4(n - 4) << 32), 0)
        } else {
            match (b.first(), b.get(n / 2), b.last()) {
                (Some(x), Some(y), Some(z)) => (
                    u64::from(*x) | (u64::from(*y) << 8) | (u64::from(*z) << 16),
                    0,
                ),
                _ => (0, 0),
            }
        };
        Key {
            len: u32::try_from(n).unwrap_or(u32::MAX),
            off: 0,
            first,
            last,
        }
    }

    /// Same length and same first and last words.
    #[inline(always)]
    fn same(&self, other: &Key) -> bool {
        self.len == other.len && self.first == other.first && self.last == other.last
    }
}

const EMPTY: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    hash: u32,
    item: u32,
    off: u32,
    len: u32,
}

/// The part of a hash a bucket keeps (the low bits pick the bucket).
fn high(h: u64) -> u32 {
    (h >> 32) as u32
}

impl StrSet {
    /// A set of these strings (duplicates are dropped).
    pub fn new<'s>(items: impl IntoIterator<Item = &'s str>) -> StrSet {
        let mut sorted: Vec<&str> = items.into_iter().collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut arena = String::with_capacity(sorted.iter().map(|s| s.len()).sum());
        let mut entries = Vec::with_capacity(sorted.len());
        for s in &sorted {
            let off = u32::try_from(arena.len()).unwrap_or(u32::MAX);
            arena.push_str(s);
            entries.push((off, u32::try_from(s.len()).unwrap_or(u32::MAX)));
        }
        let cap = (sorted.len() * 2).next_power_of_two().max(4);
        let mask = cap - 1;
        let empty = Bucket {
            hash: 0,
            item: 0,
            off: 0,
            len: EMPTY,
        };
        let mut buckets = vec![empty; cap];
        for (item, (s, &(off, len))) in sorted.iter().zip(&entries).enumerate() {
            let h = hash_str(s);
            let mut b = (h as usize) & mask;
            // The table is at most half full, so a free bucket is always found.
            for _ in 0..cap {
                match buckets.get(b) {
                    Some(k) if k.len == EMPTY => break,
                    _ => b = (b + 1) & mask,
                }
            }
            if let Some(slot) = buckets.get_mut(b) {
                *slot = Bucket {
                    hash: high(h),
                    item: u32::try_from(item).unwrap_or(u32::MAX),
                    off,
                    len,
                };
            }
        }
        let small: Box<[Key]> = if sorted.len() <= SMALL {
            sorted
                .iter()
                .zip(&entries)
                .map(|(s, &(off, _))| Key { off, ..Key::of(s) })
                .collect()
        } else {
            Box::new([])
        };
        StrSet {
            arena: arena.into(),
            items: entries.into(),
            buckets: buckets.into(),
            mask,
            small,
        }
    }

    #[inline(always)]
    fn text(&self, off: u32, len: u32) -> &str {
        self.arena
            .get(off as usize..off as usize + len as usize)
            .unwrap_or("")
    }

    /// Whether `s` is in the set.
    #[inline]
    pub fn contains(&self, s: &str) -> bool {
        if self.items.len() <= SMALL {
            return self.contains_small(s);
        }
        self.contains_hashed(s, hash_str(s))
    }

    /// [`StrSet::contains`] by scanning the keys of a small set.
    #[inline]
    fn contains_small(&self, s: &str) -> bool {
        let k = Key::of(s);
        self.small
            .iter()
            .any(|x| x.same(&k) && (k.len <= 16 || self.text(x.off, x.len) == s))
    }

    /// Whether `s`, whose [`hash_str`] is `h`, is in the set.
    #[inline]
    pub fn contains_hashed(&self, s: &str, h: u64) -> bool {
        self.find(s, h).is_some()
    }

    /// The index of `s` in sorted order (as [`StrSet::get`] numbers them), if present.
    #[inline]
    pub fn position(&self, s: &str) -> Option<u32> {
        self.find(s, hash_str(s))
    }

    #[inline(always)]
    fn find(&self, s: &str, h: u64) -> Option<u32> {
        let mut b = (h as usize) & self.mask;
        let hh = high(h);
        for _ in 0..self.buckets.len() {
            let k = self.buckets.get(b)?;
            if k.len == EMPTY {
                return None;
            }
            if k.hash == hh && k.len as usize == s.len() && eq_bytes(self.text(k.off, k.len), s) {
                return Some(k.item);
            }
            b = (b + 1) & self.mask;
        }
        None
    }

    /// The `i`-th string in sorted order.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.items.get(i).map(|&(off, len)| self.text(off, len))
    }

    /// The strings, in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(|&(off, len)| self.text(off, len))
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Small constant sets laid out for the decision path, one after another in the order the
/// conditions were resolved: a tenant's office networks and roles sit next to each other,
/// and a test reads them straight from its own offset, without going through the constant
/// table and each set's separate allocations (docs/ENGINE.md "Locality"). Plain words: a
/// set is its element count, then its elements.
///
/// - strings ([`Inline::push_strs`]): at most [`SMALL`] strings of at most 16 bytes, each as
///   three words (length, first and last eight bytes: the string itself, see [`Key`]);
/// - networks ([`Inline::push_ranges`]): the merged IPv4 ranges, `start << 32 | end`, sorted.
#[derive(Clone, Debug, Default)]
pub struct Inline {
    words: Vec<u64>,
}

impl Inline {
    /// The words, for prefetching.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// Release spare capacity once every set is laid out.
    pub fn shrink_to_fit(&mut self) {
        self.words.shrink_to_fit();
    }

    /// Where the next set goes, if the arena still has room for offsets a check can hold.
    fn next(&self) -> Option<i32> {
        i32::try_from(self.words.len()).ok()
    }

    /// Lay out a small string set; `None` when it is too big or holds a long string (the
    /// test then keeps using the hashed set).
    pub fn push_strs(&mut self, set: &StrSet) -> Option<i32> {
        let at = self.next()?;
        if set.len() > SMALL || set.iter().any(|s| s.len() > 16) {
            return None;
        }
        self.words.push(set.len() as u64);
        for s in set.iter() {
            let k = Key::of(s);
            self.words.extend([u64::from(k.len), k.first, k.last]);
        }
        Some(at)
    }

    /// Lay out the IPv4 ranges of a set of networks.
    pub fn push_ranges(&mut self, set: &CidrSet) -> Option<i32> {
        let at = self.next()?;
        self.words.push(set.v4.len() as u64);
        self.words.extend(
            set.v4
                .iter()
                .map(|&(s, e)| (u64::from(s) << 32) | u64::from(e)),
        );
        Some(at)
    }

    /// The elements of the set at `at`; `None` if `at` is not where a set starts in this
    /// arena (a malformed check: the caller falls back to the constant).
    #[inline(always)]
    fn set(&self, at: i32, width: usize) -> Option<&[u64]> {
        let at = usize::try_from(at).ok()?;
        let n = usize::try_from(*self.words.get(at)?).ok()?;
        self.words.get(at + 1..at + 1 + n.checked_mul(width)?)
    }

    /// Whether the string set at `at` holds `s`.
    #[inline(always)]
    pub fn has_str(&self, at: i32, s: &str) -> Option<bool> {
        Some(holds_key(self.set(at, 3)?, s))
    }

    /// Whether the string set at `at` holds one of `strs`.
    #[inline(always)]
    pub fn has_any_str<T: AsRef<str>>(&self, at: i32, strs: &[T]) -> Option<bool> {
        let keys = self.set(at, 3)?;
        // Plain loops: an iterator adapter here is left as an out-of-line call.
        for s in strs {
            if holds_key(keys, s.as_ref()) {
                return Some(true);
            }
        }
        Some(false)
    }

    /// Whether an IPv4 address lies in the ranges at `at`.
    #[inline(always)]
    pub fn in_ranges(&self, at: i32, ip: u32) -> Option<bool> {
        let ranges = self.set(at, 1)?;
        Some(in_ranges_by(ranges, u64::from(ip), |&r| {
            (r >> 32, r & 0xffff_ffff)
        }))
    }
}

/// Whether inline string keys (three words each, every string at most 16 bytes) hold `s`.
#[inline(always)]
fn holds_key(keys: &[u64], s: &str) -> bool {
    if s.len() > 16 {
        return false;
    }
    let k = Key::of(s);
    let len = u64::from(k.len);
    for w in keys.chunks_exact(3) {
        if let [l, f, x] = w
            && *l == len
            && *f == k.first
            && *x == k.last
        {
            return true;
        }
    }
    false
}

/// A set of networks as merged, sorted address ranges (IPv4 and IPv6 apart).
#[derive(Clone, Debug, Default)]
pub struct CidrSet {
    v4: Box<[(u32, u32)]>,
    v6: Box<[(u128, u128)]>,
    /// The networks as written, for iteration and equality.
    nets: Box<[ipnetwork::IpNetwork]>,
}

fn range_of(n: &ipnetwork::IpNetwork) -> Option<(u128, u128, bool)> {
    match n {
        ipnetwork::IpNetwork::V4(v) => {
            let start = u32::from(v.network());
            let end = u32::from(v.broadcast());
            Some((u128::from(start), u128::from(end), true))
        }
        ipnetwork::IpNetwork::V6(v) => {
            let start = u128::from(v.network());
            let host_bits = 128 - u32::from(v.prefix());
            let end = if host_bits >= 128 {
                u128::MAX
            } else {
                start | ((1u128 << host_bits) - 1)
            };
            Some((start, end, false))
        }
    }
}

fn merge<T: Copy + Ord + num_step::Step>(mut r: Vec<(T, T)>) -> Vec<(T, T)> {
    r.sort();
    let mut out: Vec<(T, T)> = Vec::with_capacity(r.len());
    for (s, e) in r {
        match out.last_mut() {
            Some(last) if s <= last.1.next_or_max() => {
                if e > last.1 {
                    last.1 = e;
                }
            }
            _ => out.push((s, e)),
        }
    }
    out
}

mod num_step {
    pub trait Step {
        fn next_or_max(self) -> Self;
    }
    impl Step for u32 {
        fn next_or_max(self) -> u32 {
            self.saturating_add(1)
        }
    }
    impl Step for u128 {
        fn next_or_max(self) -> u128 {
            self.saturating_add(1)
        }
    }
}

#[inline]
fn in_ranges<T: Copy + Ord>(ranges: &[(T, T)], x: T) -> bool {
    in_ranges_by(ranges, x, |&r| r)
}

/// Whether `x` lies in one of `ranges`, sorted and disjoint, each read as (start, end)
/// by `bounds`: the tuples of [`CidrSet`] and the packed words of [`Inline`].
#[inline(always)]
fn in_ranges_by<R, T: Copy + Ord>(ranges: &[R], x: T, bounds: impl Fn(&R) -> (T, T)) -> bool {
    // The last range starting at or before x is the only candidate: a binary search whose
    // loop has no early exit, so it compiles to conditional moves.
    let mut base = 0usize;
    let mut size = ranges.len();
    if size == 0 {
        return false;
    }
    while size > 1 {
        let half = size / 2;
        let mid = base + half;
        if ranges.get(mid).is_some_and(|r| bounds(r).0 <= x) {
            base = mid;
        }
        size -= half;
    }
    ranges.get(base).is_some_and(|r| {
        let (s, e) = bounds(r);
        s <= x && x <= e
    })
}

impl CidrSet {
    /// A set of these networks.
    pub fn new(nets: impl IntoIterator<Item = ipnetwork::IpNetwork>) -> CidrSet {
        // Sized from the caller's upper bound (a filter over the constant's items), so the
        // vector is not regrown on the way.
        let given = nets.into_iter();
        let mut nets = Vec::with_capacity(given.size_hint().1.unwrap_or(0).min(1 << 16));
        nets.extend(given);
        nets.sort();
        nets.dedup();
        let n4 = nets.iter().filter(|n| n.is_ipv4()).count();
        let mut v4 = Vec::with_capacity(n4);
        let mut v6 = Vec::with_capacity(nets.len().saturating_sub(n4));
        for n in &nets {
            if let Some((s, e, is4)) = range_of(n) {
                if is4 {
                    v4.push((u32::try_from(s).unwrap_or(0), u32::try_from(e).unwrap_or(0)));
                } else {
                    v6.push((s, e));
                }
            }
        }
        CidrSet {
            v4: merge(v4).into(),
            v6: merge(v6).into(),
            nets: nets.into(),
        }
    }

    /// Whether some network of the set contains the address.
    #[inline]
    pub fn contains_ip(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => in_ranges(&self.v4, u32::from(a)),
            IpAddr::V6(a) => in_ranges(&self.v6, u128::from(a)),
        }
    }

    /// Whether a whole network lies inside one network of the set.
    pub fn contains_net(&self, n: &ipnetwork::IpNetwork) -> bool {
        self.nets.iter().any(|outer| subnet(n, outer))
    }

    /// The networks, sorted.
    pub fn nets(&self) -> &[ipnetwork::IpNetwork] {
        &self.nets
    }
}

/// `inner` lies inside `outer`.
pub fn subnet(inner: &ipnetwork::IpNetwork, outer: &ipnetwork::IpNetwork) -> bool {
    inner.prefix() >= outer.prefix() && outer.contains(inner.network())
}

/// Domain names for `under`: a name is under the set when it, or one of its parent domains,
/// is in the set. Each step drops one leading label and costs one hash probe: the walk over
/// reversed labels a trie would do, with the set as the trie's index.
#[derive(Clone, Debug, Default)]
pub struct DomainSet {
    set: StrSet,
    /// The set contains the empty domain (everything is under it).
    root: bool,
}

impl DomainSet {
    /// An index of these domains (case and a final dot are ignored).
    pub fn new<'s>(domains: impl IntoIterator<Item = &'s str>) -> DomainSet {
        // The normalised names end to end in one string (a load builds one of these per
        // tenant's domain list: one allocation per name was a large part of it).
        let domains: Vec<&str> = domains.into_iter().collect();
        let mut root = false;
        let mut text = String::with_capacity(domains.iter().map(|d| d.len()).sum());
        let mut ends: Vec<usize> = Vec::with_capacity(domains.len());
        for d in domains {
            let d = d.strip_suffix('.').unwrap_or(d);
            root |= d.is_empty();
            let from = text.len();
            text.push_str(d);
            if let Some(t) = text.get_mut(from..) {
                t.make_ascii_lowercase();
            }
            ends.push(text.len());
        }
        let mut start = 0;
        let names = ends.iter().map(|&end| {
            let name = text.get(start..end).unwrap_or("");
            start = end;
            name
        });
        DomainSet {
            set: StrSet::new(names),
            root,
        }
    }

    /// Whether `name` is one of the domains or a subdomain of one.
    pub fn contains_under(&self, name: &str) -> bool {
        if self.root {
            return true;
        }
        let name = name.strip_suffix('.').unwrap_or(name);
        let mut buf = [0u8; 256];
        // Lowercase without allocating; names longer than DNS allows take the slow path.
        let Some(dst) = buf.get_mut(..name.len()) else {
            return self.set.iter().any(|d| is_under(name, d));
        };
        dst.copy_from_slice(name.as_bytes());
        dst.make_ascii_lowercase();
        let Ok(mut rest) = std::str::from_utf8(dst) else {
            return false;
        };
        loop {
            if self.set.contains(rest) {
                return true;
            }
            match rest.find('.') {
                Some(i) => rest = rest.get(i + 1..).unwrap_or(""),
                None => return false,
            }
        }
    }
}

/// Glob matching without allocation: `*` any run of characters, `?` exactly one, `\x` the
/// character x. Greedy with a single backtrack point, so linear in practice.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < text.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some(b'?') => {
                pi += 1;
                ti += char_len(text, ti);
                continue;
            }
            Some(_) => {
                let (lit, plen) = pattern_char(pattern, pi);
                if let Some(c) = lit
                    && text.get(ti..).is_some_and(|t| t.starts_with(c))
                {
                    pi += plen;
                    ti += c.len_utf8();
                    continue;
                }
            }
            None => {}
        }
        match star {
            Some((sp, st)) => {
                let next = st + char_len(text, st);
                star = Some((sp, next));
                pi = sp + 1;
                ti = next;
            }
            None => return false,
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|b| *b == b'*'))
}

fn char_len(s: &str, at: usize) -> usize {
    s.get(at..)
        .and_then(|t| t.chars().next())
        .map_or(1, char::len_utf8)
}

/// The literal character at byte `at` of a pattern (after `\`, the escaped one), and how
/// many pattern bytes it took.
fn pattern_char(p: &str, at: usize) -> (Option<char>, usize) {
    let mut it = p.get(at..).unwrap_or("").chars();
    match it.next() {
        Some('\\') => match it.next() {
            Some(c) => (Some(c), 1 + c.len_utf8()),
            None => (Some('\\'), 1),
        },
        Some(c) => (Some(c), c.len_utf8()),
        None => (None, 0),
    }
}

/// `name` equals `domain` or is a subdomain of it; ASCII case-insensitive, ignoring a
/// final dot on either.
pub fn is_under(name: &str, domain: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.is_empty() {
        return true;
    }
    if name.len() == domain.len() {
        return name.eq_ignore_ascii_case(domain);
    }
    name.len() > domain.len()
        && name
            .get(name.len() - domain.len()..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(domain))
        && name.as_bytes().get(name.len() - domain.len() - 1) == Some(&b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_string_equality_agrees_with_plain_equality() {
        // Every length the word-wise comparison distinguishes, with one byte changed at
        // every position, and hashes of all of them distinct from their neighbours'.
        for n in 0..40usize {
            let a: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            assert!(eq_bytes(&a, &a.clone()), "{n}");
            for at in 0..n {
                let mut b = a.clone().into_bytes();
                b[at] = b'#';
                let b = String::from_utf8(b).unwrap();
                assert_eq!(eq_bytes(&a, &b), a == b, "{n} {at}");
                assert_ne!(hash_str(&a), hash_str(&b), "{n} {at}");
            }
            assert!(!eq_bytes(&a, &format!("{a}x")));
        }
    }

    #[test]
    fn positions_follow_sorted_order() {
        let s = StrSet::new(["t2.example", "t10.example", "t1.example"]);
        for (i, x) in s.iter().enumerate() {
            assert_eq!(s.position(x), Some(i as u32));
        }
        assert_eq!(s.position("t3.example"), None);
    }

    #[test]
    fn inline_sets_agree_with_the_sets_they_copy() {
        let words: Vec<String> = (0..17usize)
            .map(|n| (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect())
            .collect();
        let mut inline = Inline::default();
        // Two sets laid out one after the other: each reads only its own elements.
        let evens: Vec<&str> = words
            .iter()
            .step_by(2)
            .take(8)
            .map(String::as_str)
            .collect();
        let odds: Vec<&str> = words
            .iter()
            .skip(1)
            .step_by(2)
            .take(8)
            .map(String::as_str)
            .collect();
        let (e, o) = (StrSet::new(evens.clone()), StrSet::new(odds.clone()));
        let (at_e, at_o) = (inline.push_strs(&e).unwrap(), inline.push_strs(&o).unwrap());
        for w in &words {
            for (at, set) in [(at_e, &e), (at_o, &o)] {
                assert_eq!(inline.has_str(at, w), Some(set.contains(w)), "{w:?}");
                let mut changed = w.clone().into_bytes();
                if let Some(last) = changed.last_mut() {
                    *last = b'#';
                    let changed = String::from_utf8(changed).unwrap();
                    assert_eq!(inline.has_str(at, &changed), Some(set.contains(&changed)));
                }
            }
        }
        assert_eq!(inline.has_any_str(at_e, &["x", &words[2]]), Some(true));
        assert_eq!(inline.has_any_str(at_e, &["x", &words[1]]), Some(false));
        assert_eq!(inline.has_any_str::<&str>(at_e, &[]), Some(false));
        // Too many strings, or one too long to be its own key: left to the hashed set.
        let many: Vec<String> = (0..9).map(|i| format!("r{i}")).collect();
        assert_eq!(
            inline.push_strs(&StrSet::new(many.iter().map(String::as_str))),
            None
        );
        assert_eq!(inline.push_strs(&StrSet::new(["a-string-of-17-by"])), None);
        // A longer query is never in a set of short strings.
        assert_eq!(inline.has_str(at_e, "a-string-of-17-by"), Some(false));
    }

    #[test]
    fn inline_ranges_agree_with_the_network_set() {
        let nets = [
            "10.0.0.0/8",
            "192.168.1.0/24",
            "192.168.2.0/24",
            "0.0.0.1/32",
        ];
        let set = CidrSet::new(nets.iter().map(|n| n.parse().unwrap()));
        let mut inline = Inline::default();
        let at = inline.push_ranges(&set).unwrap();
        let empty = inline.push_ranges(&CidrSet::new([])).unwrap();
        for ip in [
            "0.0.0.0",
            "0.0.0.1",
            "0.0.0.2",
            "9.255.255.255",
            "10.0.0.0",
            "10.255.255.255",
            "11.0.0.0",
            "192.168.0.255",
            "192.168.1.0",
            "192.168.2.255",
            "192.168.3.0",
            "255.255.255.255",
        ] {
            let v4: std::net::Ipv4Addr = ip.parse().unwrap();
            assert_eq!(
                inline.in_ranges(at, u32::from(v4)),
                Some(set.contains_ip(IpAddr::V4(v4))),
                "{ip}"
            );
            assert_eq!(inline.in_ranges(empty, u32::from(v4)), Some(false));
        }
    }

    #[test]
    fn inline_reads_outside_a_set_are_refused() {
        let mut inline = Inline::default();
        let at = inline.push_strs(&StrSet::new(["a", "b"])).unwrap();
        assert_eq!(inline.has_str(-1, "a"), None);
        assert_eq!(inline.has_str(at + 100, "a"), None);
        // A count word read as a set of three-word keys that runs past the end.
        let r = inline
            .push_ranges(&CidrSet::new(["10.0.0.0/8".parse().unwrap()]))
            .unwrap();
        assert_eq!(inline.has_str(r, "a"), None);
    }

    #[test]
    fn str_set() {
        let s = StrSet::new(["a", "bb", "ccc", "dddddddddddddddd", "é"]);
        for x in ["a", "bb", "ccc", "dddddddddddddddd", "é"] {
            assert!(s.contains(x), "{x}");
        }
        for x in ["", "b", "cc", "ddddddddddddddd", "e"] {
            assert!(!s.contains(x), "{x}");
        }
        assert!(!StrSet::new([]).contains("x"));
    }

    #[test]
    fn cidr_set() {
        let nets = [
            "10.0.0.0/8",
            "10.1.0.0/16",
            "192.168.0.0/24",
            "192.168.1.0/24",
            "2001:db8::/32",
            "::/0",
        ];
        let s = CidrSet::new(nets.iter().map(|n| n.parse().unwrap()));
        assert!(s.contains_ip("10.200.1.1".parse().unwrap()));
        assert!(s.contains_ip("192.168.1.255".parse().unwrap()));
        assert!(!s.contains_ip("192.168.2.0".parse().unwrap()));
        assert!(!s.contains_ip("11.0.0.0".parse().unwrap()));
        assert!(s.contains_ip("2001:db8::1".parse().unwrap()));
        assert!(s.contains_ip("fe80::1".parse().unwrap()));
        let v4only = CidrSet::new(["0.0.0.0/0".parse().unwrap()]);
        assert!(v4only.contains_ip("255.255.255.255".parse().unwrap()));
        assert!(!v4only.contains_ip("::1".parse().unwrap()));
    }

    #[test]
    fn domain_set() {
        let d = DomainSet::new(["bank.example", "Partner.Example."]);
        assert!(d.contains_under("bank.example"));
        assert!(d.contains_under("api.BANK.example"));
        assert!(d.contains_under("x.partner.example."));
        assert!(!d.contains_under("evilbank.example"));
        assert!(!d.contains_under("example"));
    }

    #[test]
    fn globs() {
        assert!(glob_match("*.bank.example", "api.bank.example"));
        assert!(!glob_match("*.bank.example", "bank.example"));
        assert!(glob_match("pii-*", "pii-email"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("a?c", "aéc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match("\\*", "*"));
        assert!(!glob_match("\\*", "x"));
        assert!(glob_match("*a*b*", "xxaxxbxx"));
        assert!(glob_match("", ""));
        assert!(!glob_match("", "a"));
        assert!(glob_match("**", ""));
        assert!(glob_match("é*", "été"));
    }

    #[test]
    fn domains() {
        assert!(is_under("a.b.example", "b.example"));
        assert!(is_under("B.Example.", "b.example"));
        assert!(!is_under("xb.example", "b.example"));
        assert!(!is_under("example", "b.example"));
    }
}
