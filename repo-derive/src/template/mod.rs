//! The template language: pure functions from a SQL template, an entity and a method's
//! arguments to one static statement and its parameter bindings. No `syn`, no rustc: every
//! rule here is unit-tested on plain strings.

mod expander;
mod scan;
#[cfg(test)]
mod tests;

pub(crate) use scan::{
    Piece, Placeholder, scan, skip_block_comment, skip_dollar_quoted, skip_quoted,
};

/// A problem in a template: what is wrong, and a `help:` showing the valid form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diag {
    pub message: String,
    pub help: String,
    /// The bytes of the template at fault, where one piece is.
    pub at: Option<std::ops::Range<usize>>,
}

impl Diag {
    pub(crate) fn new(message: impl Into<String>, help: impl Into<String>) -> Self {
        Self { message: message.into(), help: help.into(), at: None }
    }
}

/// Gives the errors from `from` on that have no place yet the bytes `at`.
pub(crate) fn locate(errors: &mut [Diag], at: &std::ops::Range<usize>) {
    for e in errors.iter_mut().filter(|e| e.at.is_none()) {
        e.at = Some(at.clone());
    }
}

/// What the template engine knows of an entity.
#[derive(Debug, Clone)]
pub(crate) struct EntityInfo {
    pub name: String,
    pub table: String,
    pub fields: Vec<FieldInfo>,
}

/// One mapped field.
#[derive(Debug, Clone)]
pub(crate) struct FieldInfo {
    pub ident: String,
    pub column: String,
    pub key: bool,
    /// The column's type in SQL when a parameter must be cast to it (a PostgreSQL ENUM, which
    /// a text parameter does not convert to on its own), from the migrations.
    pub cast: Option<String>,
    /// The field holds a PostgreSQL array (`Vec<T>`, not `Vec<u8>`): `<<unnest>>` sends it as
    /// its elements laid end to end and each row's bounds.
    pub array: bool,
}

/// How a method argument relates to the entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArgKind {
    /// Anything bound as one parameter.
    Scalar,
    /// `&Entity`: its fields bind `<<values>>`, `<<set>>`, `@arg.field`.
    Entity,
    /// `&[Entity]`: bound column by column by `<<unnest>>`.
    EntitySlice,
}

/// A method argument.
#[derive(Debug, Clone)]
pub(crate) struct ArgInfo {
    pub name: String,
    pub kind: ArgKind,
}

/// What one `$n` is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bind {
    /// A whole argument.
    Arg(String),
    /// A field of an entity argument.
    Field { arg: String, field: String },
    /// One field of every element of a slice argument, as an array (`<<unnest>>`).
    Column { arg: String, field: String },
    /// One part of an array-valued field of every element of a slice argument (`<<unnest>>`).
    Array { arg: String, field: String, part: ArrayPart },
}

/// How an array-valued field of a batch is sent: three parameters (`__private::Flat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArrayPart {
    /// Every row's elements laid end to end.
    Elements,
    /// Each row's first position among them.
    First,
    /// Each row's last position among them.
    Last,
}

/// The statement a template expands to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expanded {
    pub sql: String,
    /// `binds[n - 1]` is bound to `$n`.
    pub binds: Vec<Bind>,
    /// Index in `binds` of the `OFFSET` parameter, if the offset is a parameter.
    pub offset_bind: Option<usize>,
    /// Index in `binds` of the `LIMIT` parameter, if the limit is a parameter.
    pub limit_bind: Option<usize>,
    /// The template selects `<<total>>`.
    pub has_total: bool,
}

/// The placeholders a template can hold (beside the `<<if>>`/`<</if>>` markers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Table,
    Columns,
    Values,
    Set,
    Where,
    OrderBy,
    Limit,
    Offset,
    Paginate,
    Count,
    Total,
    Returning,
    Unnest,
}

impl Kind {
    /// Every placeholder, in the order help lists them.
    pub(crate) const ALL: [Kind; 13] = [
        Kind::Table,
        Kind::Columns,
        Kind::Values,
        Kind::Set,
        Kind::Where,
        Kind::OrderBy,
        Kind::Limit,
        Kind::Offset,
        Kind::Paginate,
        Kind::Count,
        Kind::Total,
        Kind::Returning,
        Kind::Unnest,
    ];

    /// Its name in a template.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Columns => "columns",
            Kind::Values => "values",
            Kind::Set => "set",
            Kind::Where => "where",
            Kind::OrderBy => "orderby",
            Kind::Limit => "limit",
            Kind::Offset => "offset",
            Kind::Paginate => "paginate",
            Kind::Count => "count",
            Kind::Total => "total",
            Kind::Returning => "returning",
            Kind::Unnest => "unnest",
        }
    }

    /// The `--options` it takes.
    pub(crate) fn options(self) -> &'static [&'static str] {
        match self {
            Kind::Columns => &["exclude", "only", "prefix"],
            Kind::Values | Kind::Set | Kind::Returning | Kind::Unnest => &["exclude", "only"],
            Kind::OrderBy => &["desc"],
            Kind::Limit | Kind::Offset | Kind::Paginate => &["count"],
            Kind::Table | Kind::Where | Kind::Count | Kind::Total => &[],
        }
    }

    /// The placeholder named `name`, if there is one.
    pub(crate) fn of(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    fn names() -> impl Iterator<Item = &'static str> + Clone {
        Kind::ALL.into_iter().map(Kind::name)
    }
}

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    suggest(word, candidates).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default()
}

fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let v: Vec<String> = items.into_iter().map(|s| format!("`{s}`")).collect();
    if v.is_empty() { "(none)".to_owned() } else { v.join(", ") }
}

/// PostgreSQL's reserved key words: identifiers spelled like these must be quoted.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// An identifier as written in SQL: bare when PostgreSQL would read it back unchanged,
/// double-quoted otherwise (upper case, spaces, reserved words).
pub(crate) fn quote_ident(name: &str) -> String {
    let plain = name.bytes().next().is_some_and(|c| c.is_ascii_lowercase() || c == b'_')
        && name.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        && !RESERVED.contains(&name);
    if plain { name.to_owned() } else { format!("\"{}\"", name.replace('"', "\"\"")) }
}

/// A table name as written in SQL; `schema.table` quotes each part on its own.
pub(crate) fn quote_table(name: &str) -> String {
    name.split('.').map(quote_ident).collect::<Vec<_>>().join(".")
}

/// What decides whether an optional clause is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CondKind {
    /// `<<if some(arg)>>`: the `Option` argument is `Some`.
    Some,
    /// `<<if any(arg)>>`: the slice argument is not empty.
    Any,
}

/// One condition of a template's optional clauses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Condition {
    pub kind: CondKind,
    pub arg: String,
}

/// A template expanded once per combination of its conditions: `variants[mask]` is the
/// statement when condition `i` holds exactly for the bits `1 << i` set in `mask`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expansion {
    pub conditions: Vec<Condition>,
    pub variants: Vec<Expanded>,
}

/// At most this many statements per method (4 conditions).
pub(crate) const MAX_VARIANTS: usize = 16;

/// Whether a piece of a template is in every statement, in those where a condition holds, or
/// in none (the `<<if>>`/`<</if>>` markers themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Governed {
    Always,
    By(usize),
    Marker,
}

/// The conditions of a template, and what governs each piece.
type Blocks = (Vec<Condition>, Vec<Governed>);

/// Which condition governs each piece.
fn optional_blocks(pieces: &[Piece], args: &[ArgInfo]) -> Result<Blocks, Vec<Diag>> {
    let mut conditions: Vec<Condition> = Vec::new();
    let mut governs = Vec::with_capacity(pieces.len());
    let mut errors = Vec::new();
    let mut open: Option<(Option<usize>, String)> = None;
    // Clauses opened inside another (already reported), so their `<</if>>` is no stray.
    let mut nested = 0usize;
    for piece in pieces {
        let found = errors.len();
        match piece {
            Piece::If { raw, .. } if open.is_some() => {
                let outer = open.as_ref().map(|(_, raw)| raw.clone()).unwrap_or_default();
                errors.push(Diag::new(
                    format!("`<<{raw}>>` inside `<<{outer}>>`: optional clauses do not nest"),
                    "close the first clause with `<</if>>` before opening the next; two conditions on one clause can be two clauses",
                ));
                nested += 1;
                governs.push(Governed::Marker);
            }
            Piece::EndIf { .. } if nested > 0 => {
                nested -= 1;
                governs.push(Governed::Marker);
            }
            Piece::If { raw, cond, .. } => {
                let parsed = cond
                    .strip_prefix("some(")
                    .map(|r| (CondKind::Some, r))
                    .or_else(|| cond.strip_prefix("any(").map(|r| (CondKind::Any, r)))
                    .and_then(|(k, r)| r.strip_suffix(')').map(|a| (k, a.trim().to_owned())));
                let index = match parsed {
                    Some((kind, arg)) if args.iter().any(|a| a.name == arg) => {
                        let c = Condition { kind, arg };
                        Some(conditions.iter().position(|x| *x == c).unwrap_or_else(|| {
                            conditions.push(c);
                            conditions.len() - 1
                        }))
                    }
                    Some((_, arg)) => {
                        let hint = did_you_mean(&arg, args.iter().map(|a| a.name.as_str()));
                        errors.push(Diag::new(
                            format!("`<<{raw}>>`: `{arg}` is not an argument of the method"),
                            format!(
                                "{hint}the arguments are {}",
                                list(args.iter().map(|a| a.name.as_str()))
                            ),
                        ));
                        None
                    }
                    None => {
                        errors.push(Diag::new(
                            format!("`<<{raw}>>` has no condition it understands"),
                            "write `<<if some(arg)>> … <</if>>` for an `Option` argument, or `<<if any(arg)>> … <</if>>` for a slice that must not be empty",
                        ));
                        None
                    }
                };
                // A condition not understood is reported; its clause is in no statement.
                open = Some((index, raw.clone()));
                governs.push(Governed::Marker);
            }
            Piece::EndIf { .. } => {
                if open.take().is_none() {
                    errors.push(Diag::new(
                        "`<</if>>` without an opening `<<if …>>`",
                        "open the clause with `<<if some(arg)>>`, or remove the `<</if>>`",
                    ));
                }
                governs.push(Governed::Marker);
            }
            _ => governs.push(match &open {
                None => Governed::Always,
                Some((Some(i), _)) => Governed::By(*i),
                Some((None, _)) => Governed::Marker,
            }),
        }
        if let Piece::If { at, .. } | Piece::EndIf { at } = piece {
            locate(&mut errors[found..], at);
        }
    }
    if let Some((_, raw)) = open {
        errors.push(Diag::new(
            format!("`<<{raw}>>` is never closed"),
            "end the optional clause with `<</if>>`",
        ));
    }
    if 1usize << conditions.len().min(16) > MAX_VARIANTS {
        errors.push(Diag::new(
            format!(
                "{} conditions in optional clauses make {} statements; at most {MAX_VARIANTS} are generated per method",
                conditions.len(),
                1u64 << conditions.len().min(63)
            ),
            "split the method in two (for example one per filter group), or make some filters required",
        ));
    }
    if errors.is_empty() { Ok((conditions, governs)) } else { Err(errors) }
}

fn unknown_placeholder(p: &Placeholder) -> Diag {
    let hint = did_you_mean(&p.name, Kind::names());
    Diag::new(
        format!("unknown placeholder `<<{}>>`", p.raw),
        format!("{hint}valid placeholders: {}", list(Kind::names())),
    )
}

fn unmatched_param(name: &str, args: &[ArgInfo]) -> Diag {
    let hint = did_you_mean(name, args.iter().map(|a| a.name.as_str()));
    Diag::new(
        format!("`@{name}` does not match any argument of the method"),
        format!("{hint}the arguments are {}", list(args.iter().map(|a| a.name.as_str()))),
    )
}

/// What can be told of `template` without the entity: its lexical errors, unknown
/// placeholders and parameters that match no argument. For a method whose signature is wrong,
/// so that one build reports both.
pub(crate) fn check_without_entity(template: &str, args: &[ArgInfo]) -> Vec<Diag> {
    let pieces = match scan(template) {
        Ok(pieces) => pieces,
        Err(errors) => return errors,
    };
    let mut out: Vec<Diag> = Vec::new();
    for piece in &pieces {
        let d = match piece {
            Piece::Placeholder(p) if p.kind.is_none() => {
                Diag { at: Some(p.at.clone()), ..unknown_placeholder(p) }
            }
            Piece::Param { name, at, .. } if !args.iter().any(|a| a.name == *name) => {
                Diag { at: Some(at.clone()), ..unmatched_param(name, args) }
            }
            _ => continue,
        };
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// Expands `template` for a method with `args` of a repository for `entity`: one statement
/// for each combination of its optional clauses.
pub(crate) fn expand(
    template: &str,
    entity: &EntityInfo,
    args: &[ArgInfo],
) -> Result<Expansion, Vec<Diag>> {
    if template.trim().is_empty() {
        return Err(vec![Diag::new(
            "the SQL template is empty",
            "write the statement, e.g. `#[sql(\"SELECT <<columns>> FROM <<table>> WHERE <<where:id>>\")]`",
        )]);
    }
    let pieces = scan(template)?;
    let (conditions, governs) = optional_blocks(&pieces, args)?;
    let mut variants = Vec::new();
    let mut errors: Vec<Diag> = Vec::new();
    for mask in 0..1usize << conditions.len() {
        let kept: Vec<Piece> = pieces
            .iter()
            .zip(&governs)
            .filter(|(_, g)| match g {
                Governed::Always => true,
                Governed::Marker => false,
                Governed::By(i) => mask >> i & 1 == 1,
            })
            .map(|(p, _)| p.clone())
            .collect();
        match expander::expand_variant(&kept, entity, args) {
            Ok(x) => variants.push(x),
            Err(e) => {
                for d in e {
                    if !errors.contains(&d) {
                        errors.push(d);
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // An argument counts as used when any variant binds it or a condition tests it.
    let used = |name: &str| {
        conditions.iter().any(|c| c.arg == name)
            || variants.iter().any(|v| {
                v.binds.iter().any(|b| match b {
                    Bind::Arg(a)
                    | Bind::Field { arg: a, .. }
                    | Bind::Column { arg: a, .. }
                    | Bind::Array { arg: a, .. } => a == name,
                })
            })
    };
    let unused: Vec<Diag> = args
        .iter()
        .filter(|a| !a.name.starts_with('_') && !used(&a.name))
        .map(|a| {
            Diag::new(
                format!("argument `{}` is not used by the SQL template", a.name),
                format!(
                    "bind it with `@{0}`, or rename it `_{0}` if it is unused on purpose",
                    a.name
                ),
            )
        })
        .collect();
    if unused.is_empty() { Ok(Expansion { conditions, variants }) } else { Err(unused) }
}
