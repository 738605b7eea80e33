//! The formatter. First byte % 3: 0, raw text; 1, token soup; 2, a structured program
//! (the `check` target's generator) printed with comments, blank lines and tabs between
//! tokens. For text that parses: formatting succeeds (no internal error from its
//! self-check), the output parses to the same tree (spans aside), keeps every comment,
//! and formatting the output again changes nothing.
#![no_main]
use arbitrary::{Arbitrary, Unstructured};
use dictum::source::FileId;
use dictum::syntax::{Limits, parse_policy};
use dictum_fuzz::structured::{GProgram, Printer};
use libfuzzer_sys::fuzz_target;

fn oracle(text: &str) {
    let limits = Limits::default();
    let Ok(tree) = parse_policy(FileId(0), text, &limits) else { return };
    let out = match dictum::fmt::format_policy(text) {
        Ok(o) => o,
        Err(d) => panic!("formatting a file that parses failed: [{:?}] {} at {:?}\n--- input ---\n{text}", d.code, d.message, d.span()),
    };
    let again = match parse_policy(FileId(0), &out, &Limits { max_file_bytes: usize::MAX, ..limits }) {
        Ok(t) => t,
        Err(d) => panic!("formatted text does not parse: {}\n--- input ---\n{text}\n--- output ---\n{out}", d.message),
    };
    assert!(dictum::fmt::tree::same_tree(&tree, &again), "formatting changed the tree\n--- input ---\n{text}\n--- output ---\n{out}");
    let mut before = dictum::fmt::lexer::comments(text).expect("lexer accepts parsed text");
    let mut after = dictum::fmt::lexer::comments(&out).expect("lexer accepts formatted text");
    before.sort();
    after.sort();
    assert_eq!(before, after, "formatting lost or changed a comment\n--- input ---\n{text}\n--- output ---\n{out}");
    let twice = match dictum::fmt::format_policy(&out) {
        Ok(o) => o,
        Err(d) => panic!("formatting formatted text failed: {}\n--- output ---\n{out}", d.message),
    };
    assert!(twice == out, "formatting is not idempotent\n--- input ---\n{text}\n--- once ---\n{out}\n--- twice ---\n{twice}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 3 {
        0 => oracle(&String::from_utf8_lossy(rest)),
        1 => oracle(&dictum_fuzz::tokens::soup(rest)),
        _ => {
            let mut u = Unstructured::new(rest);
            let Ok(p) = GProgram::arbitrary(&mut u) else { return };
            let noise = u.take_rest();
            let mut pr = Printer::new(noise);
            pr.program(&p);
            oracle(&pr.out);
        }
    }
});
