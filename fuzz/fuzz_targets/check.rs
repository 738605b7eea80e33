//! The checker on structurally generated programs (possibly ill-typed).
//! Oracle: no panic or internal error; an accepted program compiles, its bundle
//! encodes, decodes and verifies exactly, loads, and on the fixture request the VM agrees
//! with the reference interpreter at every hook.
#![no_main]
use dictum_fuzz::structured::{GProgram, print};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|p: GProgram| {
    let text = print(&p);
    let (sources, checked) = dictum_fuzz::check_text(&text);
    if let Some(program) = checked.program {
        let engine = dictum_fuzz::compile_and_load(&program, &sources);
        let snap = engine.snapshot();
        let buf = snap.request_from_json(dictum_fuzz::FIXTURE_REQUEST).expect("the fixture request fits the standard schema");
        dictum_fuzz::agree(&program, &snap, &buf.values(), &|| text.clone());
    }
});
