//! Limits on input size, checked before and while parsing so that hostile input gets a
//! diagnostic instead of a stack overflow or an unbounded allocation.

use crate::error::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// Input limits. The defaults suit hand-written and generated policies alike; raise them
/// through the CLI's `--max-*` flags or by building a `Limits` in the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted source file, in bytes.
    pub max_file_bytes: usize,
    /// Deepest nesting of brackets, quantifiers and operators in one expression.
    pub max_depth: usize,
    /// Most elements in one set literal.
    pub max_set_len: usize,
    /// Longest string literal, in bytes.
    pub max_string_len: usize,
    /// Most rules in one project (all files together).
    pub max_rules: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: 4 << 20,
            max_depth: 64,
            max_set_len: 100_000,
            max_string_len: 64 << 10,
            max_rules: 1_000_000,
        }
    }
}

/// Reject input that would make the recursive-descent parser recurse too deeply, before
/// the parser sees it. Depth here is bracket nesting plus open quantifiers plus open
/// `set<` types. This scan is the only guard on the parser's recursion: pest is built
/// without its `std` stack probe (see Cargo.toml), so every construct that nests in the
/// grammar must be counted here.
pub fn prescan(file: FileId, text: &str, limits: &Limits) -> Result<(), Diagnostic> {
    if text.len() > limits.max_file_bytes {
        return Err(Diagnostic::new(
            Code::FileTooLarge,
            Span::new(file, 0, 0),
            format!(
                "file is {} bytes, more than the limit of {}",
                text.len(),
                limits.max_file_bytes
            ),
        )
        .label("this file")
        .help(
            "split the policies over several files, or raise the limit with `--max-file-bytes`",
        ));
    }
    let bytes = text.as_bytes();
    // Quantifiers opened at each bracket level; a quantifier body ends with its bracket.
    let mut stack: Vec<usize> = vec![0];
    let mut open_quants = 0usize;
    // `set<` types opened and not yet closed by `>`: types nest too (`set<set<int>>`).
    let mut open_types = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            // A raw string has no escapes: it ends at the next quote.
            b'r' if bytes.get(i + 1) == Some(&b'"')
                && (i == 0 || bytes.get(i - 1).is_none_or(|b| !is_ident_byte(*b))) =>
            {
                i += 2;
                while bytes.get(i).is_some_and(|c| *c != b'"' && *c != b'\n') {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if c == b'\\' {
                        i += 2;
                        continue;
                    }
                    if c == b'"' || c == b'\n' {
                        break;
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while bytes.get(i).is_some_and(|c| *c != b'\n') {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while bytes.get(i).is_some()
                    && !(bytes.get(i) == Some(&b'*') && bytes.get(i + 1) == Some(&b'/'))
                {
                    i += 1;
                }
                i += 1;
            }
            b'(' | b'{' | b'[' => {
                stack.push(0);
                if stack.len() + open_quants + open_types > limits.max_depth {
                    return Err(too_deep(file, i, limits));
                }
            }
            b's' if is_word_at(bytes, i, b"set") && next_non_space(bytes, i + 3) == Some(b'<') => {
                open_types += 1;
                if stack.len() + open_quants + open_types > limits.max_depth {
                    return Err(too_deep(file, i, limits));
                }
                i += 2;
            }
            // Closes a type if one is open; a comparison otherwise (no type is open
            // inside an expression), and then nothing to count.
            b'>' => open_types = open_types.saturating_sub(1),
            b')' | b'}' | b']' if stack.len() > 1 => {
                open_quants -= stack.pop().unwrap_or(0);
            }
            b';' => {
                open_types = 0;
                if let Some(top) = stack.last_mut() {
                    open_quants -= *top;
                    *top = 0;
                }
            }
            b'a' if (is_word_at(bytes, i, b"any") || is_word_at(bytes, i, b"all"))
                && !after_has(bytes, i) =>
            {
                if let Some(top) = stack.last_mut() {
                    *top += 1;
                    open_quants += 1;
                }
                if stack.len() + open_quants > limits.max_depth {
                    return Err(too_deep(file, i, limits));
                }
                i += 2;
            }
            _ if is_ident_byte(b) => {
                // Skip the rest of a word so `many` or `ball` never count as a quantifier.
                while bytes.get(i + 1).is_some_and(|c| is_ident_byte(*c)) {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The first byte at or after `i` that is not whitespace.
fn next_non_space(bytes: &[u8], i: usize) -> Option<u8> {
    bytes
        .get(i..)?
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace())
}

/// `has any` and `has all` are operators, not quantifiers.
fn after_has(bytes: &[u8], i: usize) -> bool {
    let before = bytes.get(..i).unwrap_or(&[]);
    let trimmed = before
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |p| before.get(..=p).unwrap_or(&[]));
    trimmed.ends_with(b"has")
        && (trimmed.len() == 3
            || trimmed
                .get(trimmed.len() - 4)
                .is_none_or(|b| !is_ident_byte(*b)))
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_word_at(bytes: &[u8], i: usize, word: &[u8]) -> bool {
    let before_ok = i == 0 || bytes.get(i - 1).is_none_or(|b| !is_ident_byte(*b));
    let after_ok = bytes.get(i + word.len()).is_none_or(|b| !is_ident_byte(*b));
    before_ok && after_ok && bytes.get(i..i + word.len()) == Some(word)
}

fn too_deep(file: FileId, at: usize, limits: &Limits) -> Diagnostic {
    Diagnostic::new(
        Code::NestingTooDeep,
        Span::new(file, at, at + 1),
        format!("nesting is more than {} levels deep", limits.max_depth),
    )
    .label("this level is too deep")
    .help("flatten the expression, or move parts of it into constants")
}

/// Stack for parsing and checking. Recursive descent over a nesting-bounded input needs a
/// bounded but (in unoptimised builds especially) large stack; only the touched part of
/// this reservation is ever committed.
const STACK_BYTES: usize = 512 << 20;

/// Run `f` on a thread with a stack large enough for the deepest input the limits accept,
/// so a caller's small thread stack (2 MiB for test threads) never overflows. `None` if
/// no thread could be started, or `f` panicked (a bug).
pub fn with_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|s| {
        match std::thread::Builder::new()
            .name("dictum-parse".into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(s, f)
        {
            Ok(handle) => handle.join().ok(),
            // No thread could be created (resource limits): the caller reports an internal error.
            Err(_) => None,
        }
    })
}
