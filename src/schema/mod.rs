//! The schema: which entities a request carries, their attributes and types, and the
//! enums and lattices those types name. The standard schema is built in
//! (`standard.schema`); a project extends it with its own schema files.
//!
//! Attributes are numbered ([`AttrId`]) once, here; the compiler uses those numbers as the
//! request's slots, so no attribute name is ever looked up while evaluating.

use crate::error::{Code, Diagnostic, did_you_mean};
use crate::source::FileId;
use crate::syntax::ast::{Ident, LatticeDecl, LatticeKind, SchemaFile, SchemaItem, TypeExpr};
use crate::syntax::{Limits, parse_schema};
use crate::types::{EnumId, Hook, LatticeId, Type};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// The text of the built-in standard schema.
pub const STANDARD_SCHEMA: &str = include_str!("standard.schema");

/// Index of an attribute in [`Schema::attrs`]; also its slot in a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AttrId(pub u32);

/// An entity of the request (`client`, `object`, ...): one JSON member of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// The entity's name.
    pub name: String,
    /// Hooks at which policies may name this entity (bit `1 << hook.index()`).
    pub hooks: u8,
    /// Its attributes, in declaration order.
    pub attrs: Vec<AttrId>,
}

impl Entity {
    /// Whether policies of `hook` may name this entity.
    pub fn available_at(&self, hook: Hook) -> bool {
        self.hooks & (1 << hook.index()) != 0
    }
}

/// One attribute of one entity, e.g. `client.ip`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attr {
    /// The entity it belongs to: an index into [`Schema::entities`].
    pub entity: u32,
    /// The attribute's name within its entity.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Declared `name?: T`: a request may leave it out, and policies must test its presence.
    pub optional: bool,
}

/// An enum: a closed set of named values (`action`, `cipher`, `posture`, ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumDef {
    /// The enum's name (also its type name).
    pub name: String,
    /// Its values; a value is its index here.
    pub values: Vec<String>,
}

/// The two shapes of lattice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LatticeShape {
    /// A total order, lowest level first.
    Levels(Vec<String>),
    /// A level of `base` with a set of compartments (at most 64).
    Product {
        /// The total-order lattice supplying the levels.
        base: LatticeId,
        /// The compartment names, in order (bit i of a value is compartment i).
        compartments: Vec<String>,
    },
}

/// A lattice: a security order whose levels compare with `<=` (dominance).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatticeDef {
    /// The lattice's name (also its type name).
    pub name: String,
    /// Total order or product.
    pub shape: LatticeShape,
}

/// The effective schema of a project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// Every entity, in declaration order.
    pub entities: Vec<Entity>,
    /// Every attribute of every entity, indexed by [`AttrId`].
    pub attrs: Vec<Attr>,
    /// Every enum, indexed by [`EnumId`]; includes each product lattice's compartment enum.
    pub enums: Vec<EnumDef>,
    /// Every lattice, indexed by [`LatticeId`].
    pub lattices: Vec<LatticeDef>,
    /// For each hook (by index), the values of the `action` enum valid there.
    pub actions: [Vec<u32>; 5],
}

const BUILTIN_TYPES: [&str; 10] = [
    "bool",
    "int",
    "string",
    "ip",
    "cidr",
    "timestamp",
    "duration",
    "time",
    "weekday",
    "set",
];

/// The enum of request actions, which `permit` and `forbid` rules list. This enum,
/// [`CIPHER_ENUM`] and [`LOG_FIELD_ENUM`] are the ones the engine itself relies on: the
/// standard schema declares them, and each may have at most 64 values.
pub const ACTION_ENUM: &str = "action";
/// The enum of ciphers, which encrypt rules choose and forbid.
pub const CIPHER_ENUM: &str = "cipher";
/// The enum of log fields, which log rules record and redact.
pub const LOG_FIELD_ENUM: &str = "log_field";

impl Schema {
    fn empty() -> Schema {
        Schema {
            entities: Vec::new(),
            attrs: Vec::new(),
            enums: Vec::new(),
            lattices: Vec::new(),
            actions: Default::default(),
        }
    }

    /// The built-in standard schema.
    pub fn standard() -> Result<Schema, Vec<Diagnostic>> {
        let mut s = Schema::empty();
        let file = parse_schema(FileId(u32::MAX), STANDARD_SCHEMA, &Limits::default())
            .map_err(|d| vec![d])?;
        let diags = s.extend(&file);
        if diags.is_empty() { Ok(s) } else { Err(diags) }
    }

    /// Add the declarations of a schema file. Returns every problem found; declarations
    /// without problems are added even when others have some.
    pub fn extend(&mut self, file: &SchemaFile) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        // Types first, so entities may name enums declared later in the file.
        for item in &file.items {
            let r = match item {
                SchemaItem::Enum { name, values, .. } => self.add_enum(name, values),
                SchemaItem::Lattice(decl) => self.add_lattice(decl),
                _ => Ok(()),
            };
            if let Err(d) = r {
                diags.push(d);
            }
        }
        for item in &file.items {
            let r = match item {
                SchemaItem::Entity {
                    name, hooks, attrs, ..
                } => self.add_entity(name, hooks.as_deref(), attrs, &mut diags),
                SchemaItem::Actions { hook, actions, .. } => self.add_actions(hook, actions),
                _ => Ok(()),
            };
            if let Err(d) = r {
                diags.push(d);
            }
        }
        diags
    }

    fn check_type_name(&self, name: &Ident) -> Result<(), Diagnostic> {
        if BUILTIN_TYPES.contains(&name.name.as_str()) {
            return Err(Diagnostic::new(
                Code::Schema,
                name.span,
                format!("`{}` is a built-in type", name.name),
            )
            .label("cannot be redeclared")
            .help("choose another name"));
        }
        Ok(())
    }

    fn add_enum(&mut self, name: &Ident, values: &[Ident]) -> Result<(), Diagnostic> {
        self.check_type_name(name)?;
        let vals = unique_names(values, "enum value")?;
        if let Some(existing) = self.enums.iter().find(|e| e.name == name.name) {
            if existing.values == vals {
                return Ok(());
            }
            return Err(Diagnostic::new(
                Code::SchemaRedeclared,
                name.span,
                format!("enum `{}` is already declared with other values", name.name),
            )
            .label("redeclared here")
            .help(format!(
                "the schema declares `enum {} {{ {} }}`",
                name.name,
                existing.values.join(", ")
            )));
        }
        if self.lattice_named(&name.name).is_some() {
            return Err(dup_type(name));
        }
        self.enums.push(EnumDef {
            name: name.name.clone(),
            values: vals,
        });
        Ok(())
    }

    /// Add a lattice, or confirm it matches the one already declared under its name.
    pub fn add_lattice(&mut self, decl: &LatticeDecl) -> Result<(), Diagnostic> {
        self.check_type_name(&decl.name)?;
        let shape = match &decl.kind {
            LatticeKind::Levels(levels) => {
                LatticeShape::Levels(unique_names(levels, "lattice level")?)
            }
            LatticeKind::Product { base, compartments } => {
                let base_id = self.lattice_named(&base.name).ok_or_else(|| {
                    let names = self.lattices.iter().map(|l| l.name.as_str());
                    let d = Diagnostic::new(
                        Code::UnknownItem,
                        base.span,
                        format!("unknown lattice `{}`", base.name),
                    )
                    .label("not a lattice");
                    match did_you_mean(&base.name, names) {
                        Some(h) => d.help(h),
                        None => d,
                    }
                })?;
                if !matches!(
                    self.lattice(base_id).map(|l| &l.shape),
                    Some(LatticeShape::Levels(_))
                ) {
                    return Err(Diagnostic::new(
                        Code::Schema,
                        base.span,
                        "the base of a product lattice must be a total order",
                    )
                    .label("this lattice has compartments itself"));
                }
                let comps = unique_names(compartments, "compartment")?;
                if comps.len() > 64 {
                    return Err(Diagnostic::new(
                        Code::Schema,
                        decl.span,
                        format!(
                            "lattice `{}` has {} compartments, more than the limit of 64",
                            decl.name.name,
                            comps.len()
                        ),
                    )
                    .label("too many compartments"));
                }
                LatticeShape::Product {
                    base: base_id,
                    compartments: comps,
                }
            }
        };
        if let LatticeShape::Levels(levels) = &shape
            && levels.len() > 255
        {
            return Err(Diagnostic::new(
                Code::Schema,
                decl.span,
                format!(
                    "lattice `{}` has {} levels, more than the limit of 255",
                    decl.name.name,
                    levels.len()
                ),
            )
            .label("too many levels"));
        }
        if let Some(id) = self.lattice_named(&decl.name.name) {
            if self.lattice(id).map(|l| &l.shape) == Some(&shape) {
                return Ok(());
            }
            let shown = self
                .lattice(id)
                .map(|l| self.lattice_text(l))
                .unwrap_or_default();
            return Err(Diagnostic::new(
                Code::SchemaRedeclared,
                decl.name.span,
                format!(
                    "lattice `{}` is already declared differently",
                    decl.name.name
                ),
            )
            .label("redeclared here")
            .help(format!("the schema declares `{shown}`")));
        }
        if self.enum_named(&decl.name.name).is_some() {
            return Err(dup_type(&decl.name));
        }
        // A product lattice's compartments are values of their own enum, `L_compartment`,
        // so `.compartments` is a typed set and compartment names are checked like any value.
        if let LatticeShape::Product { compartments, .. } = &shape {
            let enum_name = compartment_enum_name(&decl.name.name);
            match self.enum_named(&enum_name).and_then(|id| self.enum_def(id)) {
                Some(e) if e.values == *compartments => {}
                Some(_) => {
                    return Err(Diagnostic::new(
                        Code::SchemaRedeclared,
                        decl.name.span,
                        format!("enum `{enum_name}` already exists with other values"),
                    )
                    .label("this lattice's compartments would redeclare it"));
                }
                None => self.enums.push(EnumDef {
                    name: enum_name,
                    values: compartments.clone(),
                }),
            }
        }
        self.lattices.push(LatticeDef {
            name: decl.name.name.clone(),
            shape,
        });
        Ok(())
    }

    /// The enum of a product lattice's compartments.
    pub fn compartment_enum(&self, lattice: LatticeId) -> Option<EnumId> {
        self.enum_named(&compartment_enum_name(&self.lattice(lattice)?.name))
    }

    fn add_entity(
        &mut self,
        name: &Ident,
        hooks: Option<&[Ident]>,
        attrs: &[crate::syntax::ast::AttrDecl],
        diags: &mut Vec<Diagnostic>,
    ) -> Result<(), Diagnostic> {
        let mask = match hooks {
            None => 0b11111,
            Some(hs) => {
                let mut m = 0u8;
                for h in hs {
                    let hook = Hook::from_name(&h.name).ok_or_else(|| unknown_hook(h))?;
                    m |= 1 << hook.index();
                }
                m
            }
        };
        if BUILTIN_TYPES.contains(&name.name.as_str()) {
            return Err(Diagnostic::new(
                Code::Schema,
                name.span,
                format!("`{}` is a built-in type", name.name),
            )
            .label("not a valid entity name"));
        }
        let entity_idx = match self.entities.iter().position(|e| e.name == name.name) {
            Some(i) => {
                if hooks.is_some() && self.entities.get(i).is_some_and(|e| e.hooks != mask) {
                    return Err(Diagnostic::new(Code::SchemaRedeclared, name.span, format!(
                        "entity `{}` is already declared for other hooks",
                        name.name
                    ))
                    .label("redeclared here")
                    .help("an extension may add attributes to an entity, but not change where it is available"));
                }
                i
            }
            None => {
                self.entities.push(Entity {
                    name: name.name.clone(),
                    hooks: mask,
                    attrs: Vec::new(),
                });
                self.entities.len() - 1
            }
        };
        for a in attrs {
            let ty = match self.resolve_type(&a.ty) {
                Ok(t) => t,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            let existing = self.entities.get(entity_idx).and_then(|e| {
                e.attrs
                    .iter()
                    .copied()
                    .find(|id| self.attr(*id).is_some_and(|at| at.name == a.name.name))
            });
            if let Some(id) = existing {
                let same = self
                    .attr(id)
                    .is_some_and(|at| at.ty == ty && at.optional == a.optional);
                if !same {
                    diags.push(
                        Diagnostic::new(
                            Code::SchemaRedeclared,
                            a.name.span,
                            format!(
                                "attribute `{}.{}` is already declared differently",
                                name.name, a.name.name
                            ),
                        )
                        .label("redeclared here")
                        .help(format!("the schema declares `{}`", self.attr_text(id))),
                    );
                }
                continue;
            }
            let id = AttrId(u32::try_from(self.attrs.len()).unwrap_or(u32::MAX));
            self.attrs.push(Attr {
                entity: u32::try_from(entity_idx).unwrap_or(u32::MAX),
                name: a.name.name.clone(),
                ty,
                optional: a.optional,
            });
            if let Some(e) = self.entities.get_mut(entity_idx) {
                e.attrs.push(id);
            }
        }
        Ok(())
    }

    fn add_actions(&mut self, hook: &Ident, actions: &[Ident]) -> Result<(), Diagnostic> {
        let h = Hook::from_name(&hook.name).ok_or_else(|| unknown_hook(hook))?;
        if !h.is_authorization() {
            return Err(Diagnostic::new(
                Code::Schema,
                hook.span,
                format!("hook `{}` has no actions", hook.name),
            )
            .label("only instantiate, access and egress have actions"));
        }
        let enum_id = self.enum_named(ACTION_ENUM).ok_or_else(|| {
            Diagnostic::new(Code::Schema, hook.span, "actions need an `action` enum")
                .label("declare `enum action { ... }` first")
        })?;
        let values = self
            .enum_def(enum_id)
            .map(|e| e.values.clone())
            .unwrap_or_default();
        let mut ids = Vec::new();
        for a in actions {
            let i = values.iter().position(|v| *v == a.name).ok_or_else(|| {
                let d = Diagnostic::new(
                    Code::UnknownAction,
                    a.span,
                    format!("`{}` is not a value of enum `action`", a.name),
                )
                .label("unknown action");
                match did_you_mean(&a.name, values.iter().map(String::as_str)) {
                    Some(hl) => d.help(hl),
                    None => d.help("add it to `enum action` first"),
                }
            })?;
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            if !ids.contains(&i) {
                ids.push(i);
            }
        }
        if let Some(slot) = self.actions.get_mut(h.index()) {
            for i in ids {
                if !slot.contains(&i) {
                    slot.push(i);
                }
            }
        }
        Ok(())
    }

    /// The type a type expression names.
    pub fn resolve_type(&self, t: &TypeExpr) -> Result<Type, Diagnostic> {
        match t {
            TypeExpr::Set(inner, span) => {
                let inner = self.resolve_type(inner)?;
                if matches!(inner, Type::Set(_)) {
                    return Err(Diagnostic::new(
                        Code::TypeMismatch,
                        *span,
                        "sets of sets are not supported",
                    )
                    .label("nested set type"));
                }
                Ok(Type::set_of(inner))
            }
            TypeExpr::Named(id) => Ok(match id.name.as_str() {
                "bool" => Type::Bool,
                "int" => Type::Int,
                "string" => Type::String,
                "ip" => Type::Ip,
                "cidr" => Type::Cidr,
                "timestamp" => Type::Timestamp,
                "duration" => Type::Duration,
                "time" => Type::Time,
                "weekday" => Type::Weekday,
                name => {
                    if let Some(e) = self.enum_named(name) {
                        Type::Enum(e)
                    } else if let Some(l) = self.lattice_named(name) {
                        Type::Lattice(l)
                    } else {
                        let all = BUILTIN_TYPES
                            .iter()
                            .copied()
                            .chain(self.enums.iter().map(|e| e.name.as_str()))
                            .chain(self.lattices.iter().map(|l| l.name.as_str()));
                        let d = Diagnostic::new(
                            Code::UnknownItem,
                            id.span,
                            format!("unknown type `{name}`"),
                        )
                        .label("not a type");
                        return Err(match did_you_mean(name, all) {
                            Some(h) => d.help(h),
                            None => d.help("types are `bool`, `int`, `string`, `ip`, `cidr`, `timestamp`, `duration`, `time`, `weekday`, `set<T>`, or an enum or lattice of the schema"),
                        });
                    }
                }
            }),
        }
    }

    /// The entity with this name, and its index.
    pub fn entity_named(&self, name: &str) -> Option<(usize, &Entity)> {
        self.entities
            .iter()
            .enumerate()
            .find(|(_, e)| e.name == name)
    }

    /// The attribute with this id; `None` if out of range.
    pub fn attr(&self, id: AttrId) -> Option<&Attr> {
        self.attrs.get(id.0 as usize)
    }

    /// Find `entity.attr`.
    pub fn attr_named(&self, entity: &str, attr: &str) -> Option<AttrId> {
        let (_, e) = self.entity_named(entity)?;
        e.attrs
            .iter()
            .copied()
            .find(|id| self.attr(*id).is_some_and(|a| a.name == attr))
    }

    /// `entity.attr`, for messages.
    pub fn attr_path(&self, id: AttrId) -> String {
        match self.attr(id) {
            Some(a) => format!(
                "{}.{}",
                self.entities
                    .get(a.entity as usize)
                    .map_or("?", |e| e.name.as_str()),
                a.name
            ),
            None => "?".into(),
        }
    }

    /// The enum with this name.
    pub fn enum_named(&self, name: &str) -> Option<EnumId> {
        self.enums
            .iter()
            .position(|e| e.name == name)
            .map(|i| EnumId(u32::try_from(i).unwrap_or(u32::MAX)))
    }

    /// The enum with this id; `None` if out of range.
    pub fn enum_def(&self, id: EnumId) -> Option<&EnumDef> {
        self.enums.get(id.0 as usize)
    }

    /// The lattice with this name.
    pub fn lattice_named(&self, name: &str) -> Option<LatticeId> {
        self.lattices
            .iter()
            .position(|l| l.name == name)
            .map(|i| LatticeId(u32::try_from(i).unwrap_or(u32::MAX)))
    }

    /// The lattice with this id; `None` if out of range.
    pub fn lattice(&self, id: LatticeId) -> Option<&LatticeDef> {
        self.lattices.get(id.0 as usize)
    }

    /// Index of a value in an enum.
    pub fn enum_value(&self, id: EnumId, value: &str) -> Option<u32> {
        self.enum_def(id)?
            .values
            .iter()
            .position(|v| v == value)
            .and_then(|i| u32::try_from(i).ok())
    }

    /// Index of a level in a total-order lattice.
    pub fn lattice_level(&self, id: LatticeId, level: &str) -> Option<u32> {
        match &self.lattice(id)?.shape {
            LatticeShape::Levels(ls) => ls
                .iter()
                .position(|v| v == level)
                .and_then(|i| u32::try_from(i).ok()),
            LatticeShape::Product { .. } => None,
        }
    }

    /// Human name of a type, as written in policies.
    pub fn type_name(&self, t: &Type) -> String {
        match t {
            Type::Bool => "bool".into(),
            Type::Int => "int".into(),
            Type::String => "string".into(),
            Type::Ip => "ip".into(),
            Type::Cidr => "cidr".into(),
            Type::Timestamp => "timestamp".into(),
            Type::Duration => "duration".into(),
            Type::Time => "time".into(),
            Type::Weekday => "weekday".into(),
            Type::Enum(e) => self.enum_def(*e).map_or("?".into(), |d| d.name.clone()),
            Type::Lattice(l) => self.lattice(*l).map_or("?".into(), |d| d.name.clone()),
            Type::Set(inner) => format!("set<{}>", self.type_name(inner)),
            Type::Never => "empty set element".into(),
        }
    }

    fn attr_text(&self, id: AttrId) -> String {
        match self.attr(id) {
            Some(a) => format!(
                "{}{}: {}",
                a.name,
                if a.optional { "?" } else { "" },
                self.type_name(&a.ty)
            ),
            None => String::new(),
        }
    }

    fn lattice_text(&self, l: &LatticeDef) -> String {
        match &l.shape {
            LatticeShape::Levels(ls) => format!("lattice {} {{ {} }}", l.name, ls.join(" < ")),
            LatticeShape::Product { base, compartments } => format!(
                "lattice {} = {} with {{ {} }};",
                l.name,
                self.lattice(*base).map_or("?", |b| b.name.as_str()),
                compartments.join(", ")
            ),
        }
    }

    /// The schema in its own notation, as `dictum schema` prints it.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for e in &self.enums {
            let _ = writeln!(out, "enum {} {{ {} }}", e.name, e.values.join(", "));
        }
        if let Some(action) = self.enum_named(ACTION_ENUM) {
            for h in Hook::ALL {
                let acts = self
                    .actions
                    .get(h.index())
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                if acts.is_empty() {
                    continue;
                }
                let names: Vec<&str> = acts
                    .iter()
                    .filter_map(|i| {
                        self.enum_def(action)
                            .and_then(|e| e.values.get(*i as usize))
                            .map(String::as_str)
                    })
                    .collect();
                let _ = writeln!(out, "actions {} {{ {} }}", h.name(), names.join(", "));
            }
        }
        out.push('\n');
        for l in &self.lattices {
            let _ = writeln!(out, "{}", self.lattice_text(l));
        }
        for e in &self.entities {
            out.push('\n');
            let hooks: Vec<&str> = Hook::ALL
                .iter()
                .filter(|h| e.available_at(**h))
                .map(|h| h.name())
                .collect();
            if hooks.len() == Hook::ALL.len() {
                let _ = writeln!(out, "entity {} {{", e.name);
            } else {
                let _ = writeln!(out, "entity {} on {} {{", e.name, hooks.join(", "));
            }
            for id in &e.attrs {
                let _ = writeln!(out, "  {};", self.attr_text(*id));
            }
            out.push_str("}\n");
        }
        out
    }
}

/// The names of the compartments whose bits are set, in order (`names` as in
/// [`LatticeShape::Product`]).
pub fn compartments_named(names: &[String], bits: u64) -> Vec<&str> {
    names
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < 64 && bits & (1u64 << i) != 0)
        .map(|(_, n)| n.as_str())
        .collect()
}

/// The name of the enum holding a product lattice's compartments.
pub fn compartment_enum_name(lattice: &str) -> String {
    format!("{lattice}_compartment")
}

fn unique_names(ids: &[Ident], what: &str) -> Result<Vec<String>, Diagnostic> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if let Some(first) = ids.iter().take(i).find(|p| p.name == id.name) {
            return Err(Diagnostic::new(
                Code::Duplicate,
                id.span,
                format!("{what} `{}` is declared twice", id.name),
            )
            .label("declared again here")
            .secondary(first.span, "first declared here"));
        }
        out.push(id.name.clone());
    }
    Ok(out)
}

fn dup_type(name: &Ident) -> Diagnostic {
    Diagnostic::new(
        Code::Duplicate,
        name.span,
        format!("type `{}` is already declared", name.name),
    )
    .label("an enum and a lattice cannot share a name")
}

pub(crate) fn unknown_hook(h: &Ident) -> Diagnostic {
    let d = Diagnostic::new(
        Code::UnknownHook,
        h.span,
        format!("unknown hook `{}`", h.name),
    )
    .label("not a hook");
    match did_you_mean(&h.name, Hook::ALL.iter().map(|h| h.name())) {
        Some(help) => d.help(help),
        None => d.help("the hooks are `instantiate`, `access`, `egress`, `encrypt` and `log`"),
    }
}

/// Load a project schema file on top of the standard schema.
pub fn load(file: FileId, text: &str, base: &mut Schema, limits: &Limits) -> Vec<Diagnostic> {
    match parse_schema(file, text, limits) {
        Ok(f) => base.extend(&f),
        Err(d) => vec![d],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_schema_loads_and_prints_round_trip() {
        let s = Schema::standard().unwrap();
        assert!(s.attr_named("client", "ip").is_some());
        assert!(s.attr_named("target", "kind").is_some());
        let text = s.to_text();
        let reparsed = parse_schema(FileId(0), &text, &Limits::default()).unwrap();
        let mut again = Schema::empty();
        assert!(again.extend(&reparsed).is_empty());
        assert_eq!(again, s);
    }
}
