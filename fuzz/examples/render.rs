//! Show what a fuzz input stands for: `cargo run --example render -- TARGET FILE`.
//! Prints the policy text (and, for `differential`, the JSON requests, one per line after
//! a `---- requests` line) that the target built from the input bytes; for `parse` and
//! `fmt` the text, for `request` the JSON, for `bundle` the bundle file's bytes.
//! Used to turn crash artifacts into the readable regression inputs of
//! tests/fuzz_regressions/.
use arbitrary::{Arbitrary, Unstructured};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(target), Some(file)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: render TARGET FILE");
        std::process::exit(2);
    };
    let data = std::fs::read(file).expect("readable input");
    let (mode, rest) = data.split_first().map(|(m, r)| (*m, r)).unwrap_or((0, &[]));
    match target.as_str() {
        "parse" => print!("{}", if mode % 2 == 0 { String::from_utf8_lossy(rest).into_owned() } else { dictum_fuzz::tokens::soup(rest) }),
        "check" => {
            let p = dictum_fuzz::structured::GProgram::arbitrary_take_rest(Unstructured::new(&data)).expect("decodes");
            print!("{}", dictum_fuzz::structured::print(&p));
        }
        "differential" => {
            let c = dictum_fuzz::welltyped::Case::arbitrary_take_rest(Unstructured::new(&data)).expect("decodes");
            let (text, reqs) = c.render();
            println!("{text}---- requests");
            for r in reqs {
                println!("{r}");
            }
        }
        "fmt" => match mode % 3 {
            0 => print!("{}", String::from_utf8_lossy(rest)),
            1 => print!("{}", dictum_fuzz::tokens::soup(rest)),
            _ => {
                let mut u = Unstructured::new(rest);
                let p = dictum_fuzz::structured::GProgram::arbitrary(&mut u).expect("decodes");
                let noise = u.take_rest();
                let mut pr = dictum_fuzz::structured::Printer::new(noise);
                pr.program(&p);
                print!("{}", pr.out);
            }
        },
        "request" => {
            if mode % 2 == 0 {
                print!("{}", String::from_utf8_lossy(rest));
            } else {
                let r = dictum_fuzz::jreq::JReq::arbitrary(&mut Unstructured::new(rest)).expect("decodes");
                print!("{}", r.json());
            }
        }
        "bundle" => {
            use std::io::Write;
            let bytes = dictum_fuzz::mutate::bundle_bytes(&data).unwrap_or_default();
            std::io::stdout().write_all(&bytes).expect("stdout");
        }
        other => eprintln!("no rendering for target `{other}`"),
    }
}
