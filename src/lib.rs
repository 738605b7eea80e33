//! dictum: a policy language for object workers, its checker, compiler and evaluator.
//!
//! The pipeline, one module per stage: [`syntax`] (text to AST) -> [`check`] (names and
//! types against the [`schema`]) -> [`compile`] (optimised bytecode in a [`bundle`]) ->
//! [`vm`] (the evaluator) -> [`engine`] (the embedding API). [`diagnostics`] renders the
//! plain [`error`] data the stages return; [`reference`](mod@reference) is the obvious interpreter the
//! compiled code is tested against.
//!
//! The whole pipeline, from text to a decision:
//!
//! ```
//! use dictum::{check, compile, engine::Engine, schema::Schema, source::Sources, syntax::Limits, types::Hook};
//!
//! let mut sources = Sources::new();
//! sources.add("us.policy", r#"
//!     platform {
//!       policy "us only" on instantiate {
//!         forbid when server.country != "US";
//!         permit start;
//!       }
//!     }
//! "#);
//! // Parse and check: every diagnostic of every file, or a typed program.
//! let checked = check::check_sources(&sources, Schema::standard().unwrap(), &Limits::default());
//! assert!(checked.diagnostics.is_empty());
//! let program = checked.program.unwrap();
//! // Compile to a bundle, encode it as `dictum compile` would, and load it.
//! let bytes = compile::compile(&program, &sources).unwrap().encode().unwrap();
//! let engine = Engine::from_bytes(&bytes).unwrap();
//! // A request in the JSON format (the typed builder is the allocation-free way).
//! let request = engine.request_from_json(r#"{
//!     "server": {"id": "iad-1", "region": "us-east", "country": "US", "jurisdiction": "US",
//!                "datacenter": "iad1", "tier": 1, "manufacturer": "Oxide", "generation": 5,
//!                "certifications": []},
//!     "client": {"ip": "192.0.2.1", "country": "US"},
//!     "user": {"authenticated": false, "credentials": [], "roles": [], "groups": []},
//!     "object": {"id": "doc-1", "class": "doc", "domain": "a.example", "tags": [], "clearance": "unclassified"},
//!     "request": {"action": "start", "time": "2026-03-02T10:15:00Z", "headers": []}
//! }"#).unwrap();
//! let decision = engine.decide(Hook::Instantiate, &request.view());
//! assert!(decision.is_allow());
//! let rule = engine.snapshot().rule(decision.rule.unwrap()).unwrap().id;
//! assert_eq!(rule, "platform/us only#2");
//! ```

#![warn(missing_docs)]

pub mod bundle;
pub mod check;
pub mod compile;
pub mod diagnostics;
pub mod disasm;
pub mod engine;
pub mod error;
pub mod fmt;
pub mod reference;
pub mod schema;
pub mod source;
pub mod suite;
pub mod syntax;
pub mod types;
pub mod value;
pub mod vm;
