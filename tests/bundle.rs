//! Bundles: round trip, and rejection of every kind of damage: truncation at every byte
//! offset, random bit flips, and hand-crafted out-of-range operands. Never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests and benchmarks fail loudly by design"
)]

mod common;

use dictum::bundle::{Bundle, ConstDef, FlatScalar, RuleOp};
use dictum::engine::{Engine, compile_sources};
use dictum::schema::Schema;
use dictum::types::{Hook, Type};
use dictum::vm::{Instr, Src};
use proptest::prelude::*;

const POLICY: &str = r#"
const blocked = {10.0.0.0/8, 192.168.0.0/16};
template countries(allowed: set<string>) on access {
  forbid when not (client.country in allowed);
}
domain "bank.example" {
  use countries({"US", "DE"});
  policy "rights" on access {
    permit read when user.groups has "finance" and any t in object.tags: t like "fin*";
    forbid when client.ip in blocked;
  }
  policy "fips" on encrypt { use aes_256_gcm when object.tags has "fips"; default chacha20_poly1305; }
  policy "log" on log { record client_ip, url; redact client_ip when client.country in {"DE"}; }
}
"#;

fn bundle() -> Bundle {
    compile_sources(&[("p.policy", POLICY)], Schema::standard().unwrap()).unwrap()
}

#[test]
fn round_trip_is_exact() {
    let b = bundle();
    let bytes = b.encode().unwrap();
    assert_eq!(Bundle::decode(&bytes).unwrap(), b);
    assert!(Engine::from_bytes(&bytes).is_ok());
}

#[test]
fn truncation_at_every_offset_is_rejected() {
    let bytes = bundle().encode().unwrap();
    for n in 0..bytes.len() {
        let err = Bundle::decode(&bytes[..n]).unwrap_err();
        assert!(!err.0.is_empty(), "offset {n}");
    }
}

#[test]
fn trailing_garbage_and_wrong_magic_are_rejected() {
    let mut bytes = bundle().encode().unwrap();
    bytes.push(0);
    assert!(
        Bundle::decode(&bytes)
            .unwrap_err()
            .0
            .contains("truncated or padded")
    );
    let mut bytes = bundle().encode().unwrap();
    bytes[0] = b'X';
    assert!(Bundle::decode(&bytes).unwrap_err().0.contains("magic"));
    let mut bytes = bundle().encode().unwrap();
    bytes[8] = 99;
    assert!(
        Bundle::decode(&bytes)
            .unwrap_err()
            .0
            .contains("format version 99")
    );
    assert!(Bundle::decode(b"").is_err());
}

#[test]
fn every_single_bit_flip_in_the_payload_is_caught() {
    let bytes = bundle().encode().unwrap();
    // Every bit of the header and payload: the checksum (or header checks) catch each one.
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            assert!(
                Bundle::decode(&b).is_err(),
                "flip of bit {bit} at byte {i} accepted"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Damage that keeps the checksum valid (an attacker recomputes it): the payload is
    /// decoded and verified; whatever is accepted must evaluate without panicking.
    #[test]
    fn mutated_payloads_with_valid_checksums_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let bytes = bundle().encode().unwrap();
        let mut payload = bytes[28..].to_vec();
        for (at, x) in flips {
            let i = at % payload.len();
            payload[i] ^= x | 1;
        }
        let mut forged = bytes[..12].to_vec();
        forged.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        forged.extend_from_slice(&dictum::bundle::fnv1a(&payload).to_le_bytes());
        forged.extend_from_slice(&payload);
        if let Ok(engine) = Engine::from_bytes(&forged) {
            let snap = engine.snapshot();
            let buf = snap.request_from_json(include_str!("fixtures/request.json"));
            if let Ok(buf) = buf {
                let r = buf.view();
                for h in Hook::ALL {
                    let _ = snap.decide(h, &r);
                    let _ = snap.explain(h, &r);
                }
            }
        }
    }
}

/// Apply `f` to a fresh bundle, re-encode with a valid checksum, and expect rejection
/// mentioning `want`.
fn rejects(want: &str, f: impl FnOnce(&mut Bundle)) {
    let mut b = bundle();
    f(&mut b);
    let bytes = b.encode().unwrap();
    let err = Bundle::decode(&bytes).unwrap_err();
    assert!(
        err.0.contains(want),
        "expected an error about `{want}`, got `{}`",
        err.0
    );
}

fn first_body_with_code(b: &mut Bundle) -> &mut dictum::bundle::BodyCode {
    b.bodies.iter_mut().find(|x| !x.code.is_empty()).unwrap()
}

#[test]
fn out_of_range_operands_are_rejected() {
    rejects("out of range", |b| {
        first_body_with_code(b).code[0] = Instr::Push(Src::Attr(9999))
    });
    rejects("out of range", |b| {
        first_body_with_code(b).code[0] = Instr::Push(Src::Const(9999))
    });
    rejects("out of range", |b| {
        first_body_with_code(b).code[0] = Instr::Push(Src::Param(7))
    });
    rejects("slot out of range", |b| {
        first_body_with_code(b).code[0] = Instr::Has(4000)
    });
    rejects("regex out of range", |b| {
        first_body_with_code(b).code[0] = Instr::Matches {
            text: Src::Attr(0),
            regex: 5,
        }
    });
    rejects("jump target out of range", |b| {
        first_body_with_code(b).code[0] = Instr::Jump(100_000)
    });
    rejects("backward jump", |b| {
        let body = first_body_with_code(b);
        let n = body.code.len() as u32;
        body.code.push(Instr::Jump(0));
        body.code.push(Instr::Ret);
        body.rules[0].entry = Some(n);
    });
    rejects("pops an empty stack", |b| {
        let body = first_body_with_code(b);
        let n = body.code.len() as u32;
        body.code.push(Instr::Cmp {
            op: dictum::check::program::CmpOp::Eq,
            a: Src::Stack,
            b: Src::Stack,
        });
        body.code.push(Instr::Ret);
        body.rules[0].entry = Some(n);
    });
    rejects("exceeds the declared stack depth", |b| {
        let body = first_body_with_code(b);
        let n = body.code.len() as u32;
        body.max_stack = 1;
        body.code.push(Instr::Push(Src::Attr(0)));
        body.code.push(Instr::Push(Src::Attr(0)));
        body.code.push(Instr::Cmp {
            op: dictum::check::program::CmpOp::Eq,
            a: Src::Stack,
            b: Src::Stack,
        });
        body.code.push(Instr::Ret);
        body.rules[0].entry = Some(n);
    });
    rejects("runs off the end", |b| {
        let body = first_body_with_code(b);
        let n = body.code.len() as u32;
        body.code.push(Instr::Not);
        body.rules[0].entry = Some(n);
    });
    rejects("left over", |b| {
        let body = first_body_with_code(b);
        let n = body.code.len() as u32;
        body.code.push(Instr::Push(Src::Attr(0)));
        body.code.push(Instr::Ret);
        body.max_stack = 4;
        body.rules[0].entry = Some(n);
    });
    rejects("names a body out of range", |b| b.policies[0].body = 999);
    rejects("arguments for", |b| {
        b.policies
            .iter_mut()
            .find(|p| !p.args.is_empty())
            .unwrap()
            .args
            .clear()
    });
    rejects("argument out of range", |b| {
        b.policies
            .iter_mut()
            .find(|p| !p.args.is_empty())
            .unwrap()
            .args[0] = 10_000
    });
    rejects("wrong type", |b| {
        let k = b.consts.len() as u32;
        b.consts.push(ConstDef {
            ty: Type::Int,
            items: vec![FlatScalar::Num(1)],
            domains: false,
        });
        b.policies
            .iter_mut()
            .find(|p| !p.args.is_empty())
            .unwrap()
            .args[0] = k;
    });
    rejects("hook", |b| b.policies[0].hook = Hook::Log);
    rejects("cipher out of range", |b| {
        let body = b
            .bodies
            .iter_mut()
            .find(|x| x.hook == Hook::Encrypt)
            .unwrap();
        body.rules[0].op = RuleOp::Use(63);
    });
    rejects("does not fit hook", |b| {
        let body = b
            .bodies
            .iter_mut()
            .find(|x| x.hook == Hook::Encrypt)
            .unwrap();
        body.rules[0].op = RuleOp::Permit;
    });
    rejects("invalid regular expression", |b| b.regexes.push("(".into()));
    rejects("exactly one value", |b| {
        b.consts.push(ConstDef {
            ty: Type::Int,
            items: vec![],
            domains: false,
        })
    });
    rejects("enum or lattice that does not exist", |b| {
        b.consts.push(ConstDef {
            ty: Type::Enum(dictum::types::EnumId(999)),
            items: vec![FlatScalar::Num(0)],
            domains: false,
        })
    });
    rejects("attribute", |b| b.schema.attrs[0].entity = 999);
}

#[test]
fn oversized_bundles_are_rejected_before_decoding() {
    let huge = vec![0u8; dictum::bundle::MAX_BUNDLE_BYTES + 1];
    assert!(Bundle::decode(&huge).unwrap_err().0.contains("limit"));
}

#[test]
fn kind_mismatches_a_forged_bundle_can_cause_deny_instead_of_panicking() {
    // A well-formed, verified bundle whose code compares a string attribute with a number:
    // the verifier checks structure, not types, so the VM must fail closed.
    let mut b = bundle();
    let k = b.consts.len() as u32;
    b.consts.push(ConstDef {
        ty: Type::Int,
        items: vec![FlatScalar::Num(5)],
        domains: false,
    });
    let country = b.schema.attr_named("client", "country").unwrap().0;
    for body in &mut b.bodies {
        if body.hook == Hook::Access {
            body.code = vec![
                Instr::Cmp {
                    op: dictum::check::program::CmpOp::Lt,
                    a: Src::Attr(country),
                    b: Src::Const(k),
                },
                Instr::Ret,
            ];
            body.max_stack = 0;
            for r in &mut body.rules {
                r.entry = Some(0);
            }
        }
    }
    let engine = Engine::from_bytes(&b.encode().unwrap()).unwrap();
    let snap = engine.snapshot();
    let buf = snap
        .request_from_json(include_str!("fixtures/request.json"))
        .unwrap();
    let d = snap.decide(Hook::Access, &buf.view());
    assert!(!d.is_allow());
    assert_eq!(d.reason, dictum::engine::Reason::Internal);
}
