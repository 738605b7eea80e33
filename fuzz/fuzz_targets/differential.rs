//! Compiled VM against the reference interpreter on generated well-typed programs and
//! valid requests (tests/differential.rs `check_agreement`, widened).
#![no_main]
use dictum_fuzz::welltyped::Case;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|c: Case| {
    let (text, requests) = c.render();
    let _ = dictum_fuzz::check_agreement(&text, &requests);
});
