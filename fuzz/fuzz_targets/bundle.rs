//! Bundle decoding, verification and evaluation of whatever is accepted.
//! First byte % 3: 0, the rest is a whole bundle file (header included);
//! 1, the rest is a payload, given a valid header (right length and checksum);
//! 2, the rest describes mutations of a real encoded bundle's payload, after which the
//! header is recomputed. Oracle: never a panic, hang or out-of-memory; an accepted bundle
//! decides and explains every hook on the fixture request and on an empty request.
#![no_main]
use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Mutation {
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

fn mutate(payload: &mut Vec<u8>, m: &Mutation) {
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

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 3 {
        0 => dictum_fuzz::load_and_run(rest),
        1 => dictum_fuzz::load_and_run(&dictum_fuzz::with_header(rest)),
        _ => {
            let mut u = Unstructured::new(rest);
            let Ok(which) = u8::arbitrary(&mut u) else { return };
            let Ok(muts) = Vec::<Mutation>::arbitrary(&mut u) else { return };
            let bases = dictum_fuzz::base_bundles();
            let base = &bases[usize::from(which) % bases.len()];
            let mut payload = base[28..].to_vec();
            for m in muts.iter().take(8) {
                mutate(&mut payload, m);
            }
            dictum_fuzz::load_and_run(&dictum_fuzz::with_header(&payload));
        }
    }
});
