//! Parser and checker on hostile text. First byte even: the rest is raw bytes (UTF-8,
//! lossy); odd: the rest picks tokens from the language's vocabulary (token soup).
//! Oracle: never a panic or stack overflow, no internal-error diagnostic, a program
//! exactly when there is no error, and an accepted program compiles and loads.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let text = if mode % 2 == 0 { String::from_utf8_lossy(rest).into_owned() } else { dictum_fuzz::tokens::soup(rest) };
    dictum_fuzz::parse_everything(&text);
});
