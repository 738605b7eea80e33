//! Mutations of a real encoded bundle's payload for the `bundle` target (mode 2): the
//! header is recomputed afterwards, so the damage reaches the decoder and verifier
//! instead of being stopped by the checksum.

use arbitrary::{Arbitrary, Unstructured};

#[derive(Arbitrary, Debug)]
pub enum Mutation {
    Xor { at: u32, x: u8 },
    Set { at: u32, v: u8 },
    /// A LEB128 varint, as postcard writes lengths and integers.
    Varint { at: u32, v: u64 },
    Insert { at: u32, bytes: Vec<u8> },
    Delete { at: u32, len: u8 },
    Copy { from: u32, to: u32, len: u8 },
    Truncate { at: u32 },
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

pub fn mutate(payload: &mut Vec<u8>, m: &Mutation) {
    let n = payload.len().max(1);
    let at = |a: u32| a as usize % n;
    match m {
        Mutation::Xor { at: a, x } => {
            let i = at(*a);
            if let Some(b) = payload.get_mut(i) {
                *b ^= x | 1;
            }
        }
        Mutation::Set { at: a, v } => {
            let i = at(*a);
            if let Some(b) = payload.get_mut(i) {
                *b = *v;
            }
        }
        Mutation::Varint { at: a, v } => {
            let i = at(*a).min(payload.len());
            // Replace the varint that starts here (or one byte) by the new one.
            let mut end = i;
            while end < payload.len() && payload[end] & 0x80 != 0 && end - i < 10 {
                end += 1;
            }
            let end = (end + 1).min(payload.len());
            payload.splice(i..end, varint(*v));
        }
        Mutation::Insert { at: a, bytes } => {
            let i = at(*a).min(payload.len());
            payload.splice(i..i, bytes.iter().take(64).copied());
        }
        Mutation::Delete { at: a, len } => {
            let i = at(*a).min(payload.len());
            let end = (i + usize::from(*len)).min(payload.len());
            payload.drain(i..end);
        }
        Mutation::Copy { from, to, len } => {
            let f = at(*from).min(payload.len());
            let end = (f + usize::from(*len)).min(payload.len());
            let chunk: Vec<u8> = payload[f..end].to_vec();
            let t = at(*to).min(payload.len());
            let tend = (t + chunk.len()).min(payload.len());
            payload.splice(t..tend, chunk);
        }
        Mutation::Truncate { at: a } => payload.truncate(at(*a)),
    }
}


/// The whole file a mode-2 input stands for: base bundle chosen by the first byte, up to
/// eight mutations, valid header. `None` if the bytes do not decode as mutations.
pub fn mutated_bundle(rest: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(rest);
    let which = u8::arbitrary(&mut u).ok()?;
    let muts = Vec::<Mutation>::arbitrary(&mut u).ok()?;
    let bases = crate::base_bundles();
    let base = &bases[usize::from(which) % bases.len()];
    let mut payload = base[28..].to_vec();
    for m in muts.iter().take(8) {
        mutate(&mut payload, m);
    }
    Some(crate::with_header(&payload))
}

/// The bundle file a `bundle` target input stands for (any mode).
pub fn bundle_bytes(data: &[u8]) -> Option<Vec<u8>> {
    let (&mode, rest) = data.split_first()?;
    match mode % 3 {
        0 => Some(rest.to_vec()),
        1 => Some(crate::with_header(rest)),
        _ => mutated_bundle(rest),
    }
}
