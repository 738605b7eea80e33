//! The formatter's lexer: the text as a stream of tokens that keeps what the parser throws
//! away, comments and line breaks.
//!
//! Every significant token carries the comments written between it and the previous token,
//! each with the line-break facts the printer lays comments out by. The lexer is only run on
//! text the parser accepted, so it does not need to reject anything, only to agree with the
//! grammar on where strings and comments start and end. Literals may come out as several
//! tokens (`10.0.0.0/8` is `10` `.` `0` ... `/` `8`): the printer reprints a literal from its
//! span in the source, taking all the tokens inside that span.

use logos::Logos;

/// The raw lexemes, whitespace and comments included.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq)]
enum Lexeme {
    #[regex(r"[ \t\r\x0c]+")]
    Space,
    #[token("\n")]
    Newline,
    #[regex(r"//[^\n]*", allow_greedy = true)]
    LineComment,
    #[token("/*", block_comment)]
    BlockComment,
    // As in the grammar: `"` ... `"` with backslash escapes (any character after a
    // backslash), no bare line break; `r"` ... `"` verbatim.
    #[regex(r#""([^"\\\n]|\\[\s\S])*""#)]
    Str,
    #[regex(r#"r"[^"\n]*""#)]
    RawStr,
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Word,
    #[regex(r"[0-9][A-Za-z0-9_]*")]
    Number,
    // One character each: `set<string>=` is `>` then `=`, so the printer joins `>=`, `==`
    // and the like from adjacent tokens where the tree says there is one.
    #[regex(r"[<>!=+\-.,;:(){}?/\[\]]")]
    Punct,
}

/// Skip to the end of a `/* ... */` comment (they do not nest). `false` if it is not closed.
fn block_comment(lex: &mut logos::Lexer<'_, Lexeme>) -> bool {
    match lex.remainder().find("*/") {
        Some(i) => {
            lex.bump(i + 2);
            true
        }
        None => false,
    }
}

/// What kind of significant token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A keyword or name.
    Word,
    /// A run starting with a digit: an integer, or a piece of an address, time or duration.
    Number,
    /// A string literal, plain or raw, quotes included.
    Str,
    /// One punctuation character.
    Punct,
    /// The end of the file; its comments are the ones after the last token.
    Eof,
}

/// A comment, with the facts about the line breaks around it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// The comment as written; a `//` comment without its trailing whitespace.
    pub text: String,
    /// `//` (runs to the end of the line) rather than `/* */`.
    pub line: bool,
    /// A line break comes between the previous token or comment and this comment (always
    /// true for a comment at the start of the file).
    pub nl_before: bool,
    /// At least one empty line comes before this comment.
    pub blank_before: bool,
    /// A line break comes between this comment and what follows (always true for `//` and
    /// at the end of the file).
    pub nl_after: bool,
}

impl Comment {
    /// Whether this comment cannot stay inside a line of code.
    pub fn breaks_line(&self) -> bool {
        self.line || self.nl_before || self.nl_after
    }
}

/// A significant token: a byte range of the source and the comments before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// What kind of token.
    pub kind: Kind,
    /// Byte offset of its first byte in the source.
    pub start: usize,
    /// Byte offset just past its last byte.
    pub end: usize,
    /// The comments between the previous token and this one, in order.
    pub comments: Vec<Comment>,
    /// A line break comes between the previous token or comment and this token.
    pub nl_before: bool,
    /// At least one empty line comes between the previous token or comment and this token.
    pub blank_before: bool,
}

/// A lexing failure: only possible on text the parser did not accept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    /// Byte offset of the text that is not a token.
    pub at: usize,
}

/// The significant tokens of `text`, ending with a [`Kind::Eof`] token.
pub fn lex(text: &str) -> Result<Vec<Token>, LexError> {
    let mut tokens = Vec::new();
    let mut comments: Vec<Comment> = Vec::new();
    // Line breaks since the last token or comment; the start of the file counts as one.
    let mut newlines = 1usize;
    let mut lexer = Lexeme::lexer(text);
    while let Some(raw) = lexer.next() {
        let span = lexer.span();
        let Ok(raw) = raw else {
            return Err(LexError { at: span.start });
        };
        match raw {
            Lexeme::Space => {}
            Lexeme::Newline => {
                newlines += 1;
                if let Some(last) = comments.last_mut() {
                    last.nl_after = true;
                }
            }
            Lexeme::LineComment | Lexeme::BlockComment => {
                let slice = lexer.slice();
                let line = raw == Lexeme::LineComment;
                let text = if line { slice.trim_end() } else { slice };
                comments.push(Comment {
                    text: text.to_string(),
                    line,
                    nl_before: newlines > 0,
                    blank_before: newlines > 1,
                    nl_after: line,
                });
                newlines = 0;
            }
            Lexeme::Str | Lexeme::RawStr | Lexeme::Word | Lexeme::Number | Lexeme::Punct => {
                let kind = match raw {
                    Lexeme::Str | Lexeme::RawStr => Kind::Str,
                    Lexeme::Word => Kind::Word,
                    Lexeme::Number => Kind::Number,
                    _ => Kind::Punct,
                };
                tokens.push(Token {
                    kind,
                    start: span.start,
                    end: span.end,
                    comments: std::mem::take(&mut comments),
                    nl_before: newlines > 0,
                    blank_before: newlines > 1,
                });
                newlines = 0;
            }
        }
    }
    if let Some(last) = comments.last_mut() {
        last.nl_after = true;
    }
    tokens.push(Token {
        kind: Kind::Eof,
        start: text.len(),
        end: text.len(),
        comments,
        nl_before: true,
        blank_before: false,
    });
    Ok(tokens)
}

/// The text of every comment in `text`, in order (for the self-check).
pub fn comments(text: &str) -> Result<Vec<String>, LexError> {
    Ok(lex(text)?
        .into_iter()
        .flat_map(|t| t.comments)
        .map(|c| c.text)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        let toks = lex(src).unwrap();
        toks.iter()
            .filter(|t| t.kind != Kind::Eof)
            .map(|t| src[t.start..t.end].to_string())
            .collect()
    }

    #[test]
    fn strings_hide_comment_markers() {
        assert_eq!(
            texts(r#"x == "a // b" and r"/* c \" < 1"#),
            [
                "x",
                "=",
                "=",
                r#""a // b""#,
                "and",
                r#"r"/* c \""#,
                "<",
                "1"
            ]
        );
        assert_eq!(comments(r#"x == "a // b" // real"#).unwrap(), ["// real"]);
    }

    #[test]
    fn comments_know_their_lines() {
        let toks = lex("a /* x */ b // y\n\n// z\nc /* w */\n").unwrap();
        let b = &toks[1];
        assert_eq!(
            (b.comments[0].nl_before, b.comments[0].nl_after),
            (false, false)
        );
        let c = &toks[2];
        assert_eq!(c.comments.len(), 2);
        assert!(!c.comments[0].nl_before && c.comments[0].nl_after);
        assert!(c.comments[1].nl_before && c.comments[1].blank_before && c.comments[1].nl_after);
        assert!(c.nl_before && !c.blank_before);
        let eof = &toks[3];
        assert_eq!(eof.kind, Kind::Eof);
        assert!(!eof.comments[0].nl_before && eof.comments[0].nl_after);
    }

    #[test]
    fn literals_split_but_stay_inside_their_span() {
        let toks = texts("{10.0.0.0/8, fe80::/10, 09:00, 1h30m, -7, a::b}");
        assert_eq!(toks.concat(), "{10.0.0.0/8,fe80::/10,09:00,1h30m,-7,a::b}");
        assert_eq!(toks.iter().filter(|t| *t == ",").count(), 5);
        assert!(toks.contains(&"1h30m".to_string()) && toks.contains(&"fe80".to_string()));
        assert_eq!(texts("x-1"), ["x", "-", "1"]);
        assert_eq!(
            texts("set<string>={a>=b}"),
            ["set", "<", "string", ">", "=", "{", "a", ">", "=", "b", "}"]
        );
    }
}
