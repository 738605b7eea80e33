//! JSON requests against the policy library's engine. First byte even: the rest is raw
//! bytes (UTF-8, lossy) as JSON; odd: a structured request (entity and attribute names of
//! the schema, values of every JSON kind, near-valid literals). Oracle: never a panic;
//! an accepted request decides and explains at every hook without an internal error, and
//! the VM agrees with the reference interpreter on it.
#![no_main]
use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        dictum_fuzz::request_everywhere(&String::from_utf8_lossy(rest));
    } else {
        let mut u = Unstructured::new(rest);
        let Ok(r) = dictum_fuzz::jreq::JReq::arbitrary(&mut u) else { return };
        dictum_fuzz::request_everywhere(&r.json());
    }
});
