//! Splits a SQL template into plain SQL, `<<placeholders>>` and `@parameters`.
//!
//! The scanner knows enough PostgreSQL lexing to leave alone everything that only looks like
//! template syntax: string literals (`'…'`, `E'…'`), quoted identifiers, comments, dollar-quoted
//! bodies, `::casts`, the operators `@>`, `<@`, `@@`, and `<<`/`{{` followed by anything but a
//! name (the shift and inet operators).

use super::Diag;

/// One piece of a scanned template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// SQL copied as written.
    Sql(String),
    /// `<<name:arg --option value>>` or its `{{…}}` alias.
    Placeholder(Placeholder),
    /// `<<if some(arg)>>`, `<<if any(arg)>>`: the condition as written.
    If { raw: String, cond: String, at: std::ops::Range<usize> },
    /// `<</if>>`.
    EndIf { at: std::ops::Range<usize> },
    /// `@name` or `@name.field`, at these bytes of the template.
    Param { name: String, field: Option<String>, at: std::ops::Range<usize> },
}

/// A parsed `<<…>>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placeholder {
    /// The text between the delimiters, for messages.
    pub raw: String,
    pub name: String,
    /// Which placeholder `name` is; `None` for a name the engine does not know (reported when
    /// the template is expanded, beside its other errors).
    pub kind: Option<super::Kind>,
    pub arg: Option<String>,
    pub options: Vec<(String, Option<String>)>,
    /// Its bytes in the template, delimiters included.
    pub at: std::ops::Range<usize>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Scans `template`, reporting every problem found rather than stopping at the first.
pub(crate) fn scan(template: &str) -> Result<Vec<Piece>, Vec<Diag>> {
    let b = template.as_bytes();
    let mut pieces = Vec::new();
    let mut errors = Vec::new();
    let mut sql = String::new();
    let mut i = 0;
    let flush = |sql: &mut String, pieces: &mut Vec<Piece>| {
        if !sql.is_empty() {
            pieces.push(Piece::Sql(std::mem::take(sql)));
        }
    };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        let start = i;
        let found = errors.len();
        match c {
            b'\'' => {
                let escapes =
                    i > 0 && matches!(b[i - 1], b'E' | b'e') && (i < 2 || !is_ident_char(b[i - 2]));
                i = match skip_quoted(b, i, b'\'', escapes) {
                    Some(end) => end,
                    None => {
                        errors.push(Diag::new(
                            "unterminated string literal in the SQL template",
                            "close the literal with `'` (write `''` for a quote inside it)",
                        ));
                        b.len()
                    }
                };
                sql.push_str(&template[start..i]);
            }
            b'"' => {
                i = match skip_quoted(b, i, b'"', false) {
                    Some(end) => end,
                    None => {
                        errors.push(Diag::new(
                            "unterminated quoted identifier in the SQL template",
                            "close the identifier with `\"`",
                        ));
                        b.len()
                    }
                };
                sql.push_str(&template[start..i]);
            }
            b'-' if next == Some(b'-') => {
                i = template[i..].find('\n').map_or(b.len(), |n| i + n);
                sql.push_str(&template[start..i]);
            }
            b'/' if next == Some(b'*') => {
                i = match skip_block_comment(b, i) {
                    Some(end) => end,
                    None => {
                        errors.push(Diag::new(
                            "unterminated `/*` comment in the SQL template",
                            "close the comment with `*/`",
                        ));
                        b.len()
                    }
                };
                sql.push_str(&template[start..i]);
            }
            b'$' if next.is_some_and(|n| n.is_ascii_digit()) => {
                let end = i + 1 + b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
                errors.push(Diag::new(
                    format!("hand-written positional parameter `{}` in the SQL template", &template[i..end]),
                    "name the parameter after the method argument it binds, e.g. `@id`; the macro numbers parameters itself",
                ));
                i = end;
            }
            b'$' if next.is_some_and(|n| n == b'$' || is_ident_start(n))
                && (i == 0 || !is_ident_char(b[i - 1])) =>
            {
                match skip_dollar_quoted(template, i) {
                    Some(Ok(end)) => {
                        i = end;
                        sql.push_str(&template[start..i]);
                    }
                    Some(Err(tag)) => {
                        errors.push(Diag::new(
                            format!(
                                "unterminated dollar-quoted string `{tag}` in the SQL template"
                            ),
                            format!("close the body with `{tag}`"),
                        ));
                        sql.push_str(&template[start..]);
                        i = b.len();
                    }
                    None => {
                        sql.push('$');
                        i += 1;
                    }
                }
            }
            b'@' => {
                let prev = if i > 0 { Some(b[i - 1]) } else { None };
                let operator =
                    matches!(prev, Some(b'<' | b'@')) || matches!(next, Some(b'>' | b'@'));
                if !operator && next.is_some_and(is_ident_start) {
                    let name_end =
                        i + 1 + b[i + 1..].iter().take_while(|c| is_ident_char(**c)).count();
                    let name = template[i + 1..name_end].to_owned();
                    i = name_end;
                    let mut field = None;
                    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(|c| is_ident_start(*c)) {
                        let field_end =
                            i + 1 + b[i + 1..].iter().take_while(|c| is_ident_char(**c)).count();
                        field = Some(template[i + 1..field_end].to_owned());
                        i = field_end;
                    }
                    flush(&mut sql, &mut pieces);
                    pieces.push(Piece::Param { name, field, at: start..i });
                } else {
                    sql.push('@');
                    i += 1;
                }
            }
            b'<' | b'{'
                if next == Some(c)
                    && b.get(i + 2).is_some_and(|n| is_ident_start(*n) || *n == b'/') =>
            {
                let close = if c == b'<' { ">>" } else { "}}" };
                let open = if c == b'<' { "<<" } else { "{{" };
                let found = template[i + 2..].find(close);
                // `<<columns FROM <<table>>`: a second opener before the closer means the
                // first placeholder was never closed.
                let nested =
                    template[i + 2..].find(open).is_some_and(|o| found.is_none_or(|n| o < n));
                match found.filter(|_| !nested) {
                    Some(n) => {
                        let raw = &template[i + 2..i + 2 + n];
                        i += 2 + n + 2;
                        flush(&mut sql, &mut pieces);
                        match parse_placeholder(raw, start..i) {
                            Ok(piece) => pieces.push(piece),
                            Err(e) => errors.push(e),
                        }
                    }
                    None => {
                        let name_len = b[i + 2..]
                            .iter()
                            .take_while(|c| is_ident_char(**c) || **c == b':')
                            .count();
                        let shown = &template[i..i + 2 + name_len];
                        let name = shown[2..].split(':').next().unwrap_or_default();
                        let known = name == "if" || super::Kind::of(name).is_some();
                        // `price_cents<<status`: PostgreSQL's shift operator, written without
                        // the space that tells it from a placeholder.
                        let help = if c == b'<' && !known {
                            format!(
                                "`<<` followed by a name opens a placeholder; for the shift operator write a space after it (`<< {}`), or close the placeholder with `>>`",
                                &shown[2..]
                            )
                        } else {
                            format!("close it with `{close}`, e.g. `{shown}{close}`")
                        };
                        errors.push(Diag::new(
                            format!("unclosed placeholder `{shown}` in the SQL template"),
                            help,
                        ));
                        if nested {
                            i += 2 + name_len;
                        } else {
                            i = b.len();
                        }
                    }
                }
            }
            _ => {
                let ch = template[i..].chars().next().unwrap_or_default();
                sql.push(ch);
                i += ch.len_utf8();
            }
        }
        super::locate(&mut errors[found..], &(start..i.max(start + 1).min(b.len())));
    }
    flush(&mut sql, &mut pieces);
    if errors.is_empty() { Ok(pieces) } else { Err(errors) }
}

/// Skips a `quote`-delimited token starting at `i`; a doubled quote is an escaped quote.
pub(crate) fn skip_quoted(b: &[u8], i: usize, quote: u8, backslash: bool) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() {
        if backslash && b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == quote {
            if b.get(j + 1) == Some(&quote) {
                j += 2;
                continue;
            }
            return Some(j + 1);
        }
        j += 1;
    }
    None
}

/// Skips a (nesting) block comment starting at `i`.
pub(crate) fn skip_block_comment(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    while j + 1 < b.len() {
        if b[j] == b'/' && b[j + 1] == b'*' {
            depth += 1;
            j += 2;
        } else if b[j] == b'*' && b[j + 1] == b'/' {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return Some(j);
            }
        } else {
            j += 1;
        }
    }
    None
}

/// Skips `$tag$ … $tag$` starting at `i`. `None`: not a dollar quote; `Err(tag)`: unterminated.
pub(crate) fn skip_dollar_quoted(t: &str, i: usize) -> Option<Result<usize, String>> {
    let b = t.as_bytes();
    let tag_end = i + 1 + b[i + 1..].iter().take_while(|c| is_ident_char(**c)).count();
    if b.get(tag_end) != Some(&b'$') {
        return None;
    }
    let tag = &t[i..=tag_end];
    let body = tag_end + 1;
    Some(match t[body..].find(tag) {
        Some(n) => Ok(body + n + tag.len()),
        None => Err(tag.to_owned()),
    })
}

/// The piece `<<raw>>` (at bytes `at`) stands for.
fn parse_placeholder(raw: &str, at: std::ops::Range<usize>) -> Result<Piece, Diag> {
    // `<<if some(arg)>>` and `<</if>>` carry a condition, not options.
    let trimmed = raw.trim();
    if let Some(cond) = trimmed.strip_prefix("if ") {
        return Ok(Piece::If { raw: trimmed.to_owned(), cond: cond.trim().to_owned(), at });
    }
    if trimmed == "/if" {
        return Ok(Piece::EndIf { at });
    }
    // C# Sqlx's option syntax, `{{columns:auto|exclude=Id,CreatedAt}}`, is an alias of
    // `--exclude Id,CreatedAt` (PascalCase names find their fields when they are looked up).
    let (main, piped) = match raw.split_once('|') {
        Some((main, rest)) => (main, Some(rest)),
        None => (raw, None),
    };
    let mut words = main.split_whitespace().peekable();
    let head = words.next().unwrap_or_default();
    let (name, arg) = match head.split_once(':') {
        Some((n, a)) => (n, Some(a.to_owned())),
        None => (head, None),
    };
    let mut options: Vec<(String, Option<String>)> = Vec::new();
    while let Some(word) = words.next() {
        let Some(opt) = word.strip_prefix("--") else {
            return Err(Diag::new(
                format!("unexpected `{word}` in placeholder `<<{raw}>>`"),
                "options start with `--`, e.g. `<<columns --exclude id,created_at>>`",
            ));
        };
        let mut value = String::new();
        while let Some(w) = words.next_if(|w| !w.starts_with("--")) {
            value.push_str(w);
        }
        options.push((opt.to_owned(), (!value.is_empty()).then_some(value)));
    }
    for part in piped.into_iter().flat_map(|p| p.split('|')) {
        let (opt, value) = part.split_once('=').unwrap_or((part, ""));
        let (opt, value): (String, String) =
            (opt.trim().to_owned(), value.split_whitespace().collect());
        if opt.is_empty() || !opt.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
            return Err(Diag::new(
                format!("unexpected `|{}` in placeholder `<<{}>>`", part.trim(), raw.trim()),
                "after `|` comes an option, e.g. `{{columns:auto|exclude=Id,CreatedAt}}`, the same as `<<columns --exclude id,created_at>>`",
            ));
        }
        options.push((opt, (!value.is_empty()).then_some(value)));
    }
    Ok(Piece::Placeholder(Placeholder {
        raw: raw.trim().to_owned(),
        name: name.to_owned(),
        kind: super::Kind::of(name),
        arg: arg.filter(|a| !a.is_empty()),
        options,
        at,
    }))
}
