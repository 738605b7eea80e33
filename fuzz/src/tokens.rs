//! Token soups: each input byte picks one token of a fixed vocabulary (the language's
//! keywords, operators, punctuation, names and literals of every kind, comments and line
//! breaks); the tokens are joined by spaces. Reaches deep into the grammar much faster
//! than raw bytes do.

pub const TOKENS: &[&str] = &[
    // structure
    "platform", "domain", "class", "tag", "user", "policy", "template", "const", "lattice", "use", "as", "on", "with",
    "set", "enum", "entity", "actions",
    // tests inside policy files (fixtures and expectations)
    "fixture", "test", "from", "unset", "expect", "by", "cipher",
    // hooks and rules
    "instantiate", "access", "egress", "encrypt", "log", "permit", "forbid", "default", "record", "redact", "when",
    "allow", "deny",
    // operators and keywords of expressions
    "and", "or", "not", "in", "has", "any", "all", "like", "matches", "under", "true", "false", "==", "!=", "<", "<=",
    ">", ">=", "+", "-", "=", ".", ",", ";", ":", "::", "?",
    // brackets
    "{", "}", "(", ")", "[", "]",
    // names the schema knows
    "client", "server", "object", "request", "target", "ip", "country", "tags", "groups", "roles", "clearance", "label",
    "posture", "managed", "time", "hour", "weekday", "time_of_day", "size", "level", "compartments", "action", "read",
    "write", "start", "send", "kind", "lub", "glb", "secret", "top_secret", "crypto", "nato", "string", "int", "cidr",
    "bool", "aes_256_gcm", "chacha20_poly1305", "client_ip", "url", "action::read", "clearance::secret", "mon", "fri",
    // free names
    "x", "y", "t", "c", "p", "L",
    // literals
    "\"d\"", "\"p\"", "\"x\"", "\"US\"", "\"*.example\"", "\"a\\\"b\"", "\"\\u{1F600}\"", "\"\\q\"", "r\"^a\\d+$\"",
    "\"(\"", "\"\"", "10.0.0.0/8", "10.0.0.1/8", "10.0.0.0/33", "::1", "2001:db8::/32", "1.2.3.4", "300.1.1.1",
    "09:00", "25:61", "12:30:00", "1h", "1h30m", "99999999999999999d", "0s", "2026-01-01T09:00:00Z",
    "2026-13-45T99:99:99Z", "0", "1", "42", "-1", "-9223372036854775808", "9223372036854775807",
    "99999999999999999999",
    // comments and layout
    "/* c */", "// c\n", "\n", "/*", "*/",
];

/// The token text a byte string stands for.
pub fn soup(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(TOKENS[usize::from(*b) % TOKENS.len()]);
    }
    out
}
