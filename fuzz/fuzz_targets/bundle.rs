//! Bundle decoding, verification and evaluation of whatever is accepted.
//! First byte % 3: 0, the rest is a whole bundle file (header included);
//! 1, the rest is a payload, given a valid header (right length and checksum);
//! 2, the rest describes mutations of a real encoded bundle's payload, after which the
//! header is recomputed. Oracle: never a panic, hang or out-of-memory; an accepted bundle
//! decides and explains every hook on the fixture request and on an empty request.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(bytes) = dictum_fuzz::mutate::bundle_bytes(data) {
        dictum_fuzz::load_and_run(&bytes);
    }
});
