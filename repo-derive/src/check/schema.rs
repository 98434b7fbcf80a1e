//! A catalog of tables and columns built from the project's migrations, read in file order:
//! `CREATE TABLE`, `ALTER TABLE … ADD/DROP/RENAME COLUMN, ALTER COLUMN … [DROP|SET] NOT NULL
//! / TYPE, RENAME TO`, `CREATE TYPE … AS ENUM` and `ALTER TYPE` (its values added and
//! renamed, the type renamed), `CREATE DOMAIN` (a column of a domain has the
//! domain's base type, and is NOT NULL when the domain is), `CREATE [OR REPLACE] [MATERIALIZED]
//! VIEW` (its columns typed from its query, as statements are), unique indexes, `DROP TABLE`
//! and `DROP VIEW`. Other statements (other indexes, functions, grants, data) are skipped.
//!
//! One piece: the statement splitter, the catalog and the loader serve one job (reading the
//! migrations), and about a third of the file is their unit tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, AlterTypeAddValuePosition, AlterTypeOperation,
    ColumnDef, ColumnOption, DataType, Ident, ObjectName, ObjectType, RenameTableNameKind,
    Statement, TableConstraint, UserDefinedTypeRepresentation,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::template::{Diag, skip_block_comment, skip_dollar_quoted, skip_quoted};

/// A column as the migrations leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub name: String,
    /// Normalized type: `int4`, `text`, `timestamptz`, `int8[]`, `enum:mood`, or the raw name;
    /// empty where not decided (a view's column computed by an unmodelled function).
    pub ty: String,
    pub nullable: bool,
    /// Whether `nullable` is decided (always for a table; a view's column may not be).
    pub nullable_known: bool,
}

/// Tables (by name, `public.` left out), enum types and domains.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Catalog {
    pub tables: BTreeMap<String, Vec<Column>>,
    pub enums: BTreeSet<String>,
    /// Each ENUM's values in order (`CREATE TYPE … AS ENUM`, `ALTER TYPE … ADD VALUE`).
    pub labels: BTreeMap<String, Vec<String>>,
    /// Domain → its base type (normalized) and whether it is NOT NULL.
    pub domains: BTreeMap<String, (String, bool)>,
    /// Primary keys, unique constraints and unique indexes, by table: what `ON CONFLICT (…)`
    /// can name.
    pub keys: BTreeMap<String, Vec<Key>>,
    /// Tables with an exclusion constraint (which ON CONFLICT can also use).
    pub exclusions: BTreeSet<String>,
}

/// A primary key, unique constraint or unique index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    /// Its name, where the migrations give one (to drop it by).
    pub name: Option<String>,
    /// Its columns; `None` when it indexes an expression.
    pub columns: Option<Vec<String>>,
}

fn key_of(name: Option<&Ident>, columns: &[sqlparser::ast::IndexColumn]) -> Key {
    let columns = columns
        .iter()
        .map(|ic| match &ic.column.expr {
            sqlparser::ast::Expr::Identifier(i) => Some(ident(i)),
            _ => None,
        })
        .collect();
    Key { name: name.map(ident), columns }
}

/// The keys a table's columns and constraints declare.
fn declared_keys(columns: &[ColumnDef], constraints: &[TableConstraint]) -> (Vec<Key>, bool) {
    let mut keys = Vec::new();
    let mut exclusion = false;
    for c in columns {
        for o in &c.options {
            if matches!(o.option, ColumnOption::PrimaryKey(_) | ColumnOption::Unique(_)) {
                keys.push(Key {
                    name: o.name.as_ref().map(ident),
                    columns: Some(vec![ident(&c.name)]),
                });
            }
        }
    }
    for t in constraints {
        match t {
            TableConstraint::PrimaryKey(pk) => keys.push(key_of(pk.name.as_ref(), &pk.columns)),
            TableConstraint::Unique(u) => keys.push(key_of(u.name.as_ref(), &u.columns)),
            TableConstraint::Exclude(_) => exclusion = true,
            _ => {}
        }
    }
    (keys, exclusion)
}

/// A loaded migrations folder: the catalog and the files it came from (for rebuilds).
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    pub catalog: Arc<Catalog>,
    pub files: Vec<PathBuf>,
}

fn ident(i: &Ident) -> String {
    if i.quote_style.is_some() { i.value.clone() } else { i.value.to_lowercase() }
}

fn object_name(name: &ObjectName) -> String {
    let parts: Vec<String> =
        name.0.iter().map(|p| p.as_ident().map(ident).unwrap_or_else(|| p.to_string())).collect();
    let joined = parts.join(".");
    joined.strip_prefix("public.").map(str::to_owned).unwrap_or(joined)
}

/// PostgreSQL's name for a type, with synonyms folded (`integer` → `int4`).
pub(crate) fn normalize_type(ty: &DataType, enums: &BTreeSet<String>) -> String {
    normalize_type_name(&ty.to_string(), enums)
}

pub(crate) fn normalize_type_name(raw: &str, enums: &BTreeSet<String>) -> String {
    let lower = raw.trim().to_lowercase();
    if let Some(inner) = lower.strip_suffix("[]") {
        return format!("{}[]", normalize_type_name(inner, enums));
    }
    if let Some(inner) = lower.strip_prefix("array<").and_then(|s| s.strip_suffix('>')) {
        return format!("{}[]", normalize_type_name(inner, enums));
    }
    // Drop length, precision and scale: `varchar(20)`, `numeric(10, 2)`.
    let base = match lower.find('(') {
        Some(i) => {
            let close = lower.rfind(')').map_or(lower.len(), |j| j + 1);
            format!("{}{}", lower[..i].trim_end(), &lower[close..])
        }
        None => lower.clone(),
    };
    let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
    let base = base.strip_prefix("pg_catalog.").unwrap_or(&base).to_owned();
    let folded = match base.as_str() {
        "smallint" | "int2" | "smallserial" | "serial2" => "int2",
        "integer" | "int" | "int4" | "serial" | "serial4" => "int4",
        "bigint" | "int8" | "bigserial" | "serial8" => "int8",
        "real" | "float4" => "float4",
        "double precision" | "float8" | "double" | "float" => "float8",
        "boolean" | "bool" => "bool",
        "text" | "varchar" | "character varying" | "char" | "character" | "bpchar" | "citext"
        | "name" => "text",
        "bytea" => "bytea",
        "timestamptz" | "timestamp with time zone" => "timestamptz",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "date" => "date",
        "time" | "time without time zone" => "time",
        "uuid" => "uuid",
        "numeric" | "decimal" => "numeric",
        "json" => "json",
        "jsonb" => "jsonb",
        other => {
            let unqualified = other.strip_prefix("public.").unwrap_or(other);
            if enums.contains(unqualified) {
                return format!("enum:{unqualified}");
            }
            return other.to_owned();
        }
    };
    folded.to_owned()
}

/// A type named through a domain, as its base type, and whether the domain is NOT NULL.
fn resolve_domain(domains: &BTreeMap<String, (String, bool)>, ty: String) -> (String, bool) {
    if let Some(inner) = ty.strip_suffix("[]") {
        return (format!("{}[]", resolve_domain(domains, inner.to_owned()).0), false);
    }
    let unqualified = ty.strip_prefix("public.").unwrap_or(&ty);
    match domains.get(unqualified) {
        Some((base, not_null)) => (base.clone(), *not_null),
        None => (ty, false),
    }
}

fn column(
    def: &ColumnDef,
    enums: &BTreeSet<String>,
    domains: &BTreeMap<String, (String, bool)>,
) -> Column {
    // PostgreSQL makes serial and identity columns NOT NULL without saying so.
    let serial = matches!(
        def.data_type.to_string().to_lowercase().as_str(),
        "smallserial" | "serial" | "bigserial" | "serial2" | "serial4" | "serial8"
    );
    let not_null = serial
        || def.options.iter().any(|o| {
            matches!(
                o.option,
                ColumnOption::NotNull
                    | ColumnOption::PrimaryKey(_)
                    | ColumnOption::Generated { generation_expr: None, .. }
            )
        });
    let (ty, domain_not_null) = resolve_domain(domains, normalize_type(&def.data_type, enums));
    Column {
        name: ident(&def.name),
        ty,
        nullable: !not_null && !domain_not_null,
        nullable_known: true,
    }
}

/// `CREATE DOMAIN … NOT NULL …` without its `NOT NULL` (outside parentheses), and whether it
/// had one; any other statement as it is.
fn domain_not_null(text: &str) -> (std::borrow::Cow<'_, str>, bool) {
    let lower = text.to_lowercase();
    if !strip_comments(&lower).starts_with("create domain") {
        return (text.into(), false);
    }
    let b = lower.as_bytes();
    let mut depth = 0usize;
    // From the statement itself: a comment before it may say "NOT NULL" too.
    let mut i = lower.len() - strip_comments(&lower).len();
    while i < b.len() {
        match b[i] {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'\'' => {
                i = skip_quoted(b, i, b'\'', false).unwrap_or(b.len());
                continue;
            }
            b'n' if depth == 0 && lower[i..].starts_with("not null") => {
                let before = i == 0 || !b[i - 1].is_ascii_alphanumeric();
                let after = b.get(i + 8).is_none_or(|c| !c.is_ascii_alphanumeric());
                if before && after {
                    let out = format!("{}{}", &text[..i], &text[i + 8..]);
                    return (out.into(), true);
                }
            }
            _ => {}
        }
        i += 1;
    }
    (text.into(), false)
}

/// Splits a migration into statements, leaving `;` inside literals, comments and
/// dollar-quoted bodies alone. Each statement comes with its 1-based starting line.
pub(crate) fn split_statements(sql: &str) -> Vec<(usize, &str)> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        i = match b[i] {
            b'\'' => skip_quoted(b, i, b'\'', i > 0 && matches!(b[i - 1], b'E' | b'e'))
                .unwrap_or(b.len()),
            b'"' => skip_quoted(b, i, b'"', false).unwrap_or(b.len()),
            b'-' if b.get(i + 1) == Some(&b'-') => sql[i..].find('\n').map_or(b.len(), |n| i + n),
            b'/' if b.get(i + 1) == Some(&b'*') => skip_block_comment(b, i).unwrap_or(b.len()),
            b'$' => match skip_dollar_quoted(sql, i) {
                Some(Ok(end)) => end,
                Some(Err(_)) => b.len(),
                None => i + 1,
            },
            b';' => {
                out.push((start, &sql[start..i]));
                start = i + 1;
                i + 1
            }
            _ => i + 1,
        };
    }
    out.push((start, &sql[start..]));
    out.into_iter()
        .filter(|(_, s)| !strip_comments(s).is_empty())
        .map(|(offset, s)| {
            let lead = s.len() - s.trim_start().len();
            (sql[..offset + lead].matches('\n').count() + 1, s.trim())
        })
        .collect()
}

/// The statement without leading comments, for deciding what it is.
fn strip_comments(s: &str) -> &str {
    let mut s = s.trim_start();
    loop {
        if s.starts_with("--") {
            s = s.find('\n').map_or("", |n| &s[n..]).trim_start();
        } else if s.starts_with("/*") {
            s = skip_block_comment(s.as_bytes(), 0).map_or("", |n| &s[n..]).trim_start();
        } else {
            return s;
        }
    }
}

/// The statement's first `n` words, lowercased.
fn first_words(s: &str, n: usize) -> Vec<String> {
    strip_comments(s).split_whitespace().take(n).map(str::to_lowercase).collect()
}

/// Whether the statement changes what the catalog tracks (so failing to read it matters).
fn is_schema_statement(s: &str) -> bool {
    let words = first_words(s, 4);
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    matches!(
        w.as_slice(),
        ["create", "table", ..]
            | ["create", "unlogged" | "temp" | "temporary", "table", ..]
            | ["alter", "table", ..]
            | ["drop", "table", ..]
            | ["create", "type", _, "as"]
            | ["alter", "type", ..]
            | ["create", "domain", ..]
            | ["drop", "view", ..]
            | ["drop", "materialized", "view", ..]
            | ["drop", "index", ..]
    ) || is_view(s)
        || is_unique_index(s)
}

/// `CREATE UNIQUE INDEX`: read when the parser can, else left out (ON CONFLICT is then not
/// checked against it, so nothing is refused for it).
fn is_unique_index(s: &str) -> bool {
    first_words(s, 3) == ["create", "unique", "index"]
}

/// `CREATE [OR REPLACE] [MATERIALIZED] VIEW`: read when the parser can, else left out (the
/// view is then unknown, and statements reading it are left to `verify`).
fn is_view(s: &str) -> bool {
    let words = first_words(s, 5);
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    matches!(
        w.as_slice(),
        ["create", "view", ..]
            | ["create", "materialized", "view", ..]
            | ["create", "or", "replace", "view", ..]
            | ["create", "or", "replace", "materialized", "view", ..]
            | ["create", "temp" | "temporary" | "recursive", "view", ..]
    )
}

impl Catalog {
    /// Applies one migration file.
    pub(crate) fn apply_file(&mut self, file: &str, sql: &str) -> Result<(), Diag> {
        for (line, text) in split_statements(sql) {
            if !is_schema_statement(text) {
                continue;
            }
            // `CREATE DOMAIN d AS text NOT NULL CHECK (…)`: the parser reads the constraints as
            // a table's, which have no NOT NULL; it is noted here and left out.
            let (text, domain_not_null) = domain_not_null(text);
            let parsed = Parser::parse_sql(&PostgreSqlDialect {}, &text);
            if parsed.is_err() && (is_view(&text) || is_unique_index(&text)) {
                continue;
            }
            let statements = parsed.map_err(|e| {
                let first = strip_comments(&text).lines().next().unwrap_or_default();
                Diag::new(
                    format!("migration `{file}` line {line}: cannot read `{first}`: {e}"),
                    "the schema check reads CREATE TABLE, ALTER TABLE, CREATE TYPE … AS ENUM, CREATE DOMAIN and DROP TABLE; fix the statement, or turn the check off with `#[entity(schema = false)]`",
                )
            })?;
            for st in &statements {
                if let Statement::CreateDomain(d) = st {
                    let base =
                        resolve_domain(&self.domains, normalize_type(&d.data_type, &self.enums));
                    self.domains.insert(object_name(&d.name), (base.0, domain_not_null));
                }
                self.apply(st);
            }
        }
        Ok(())
    }

    fn apply(&mut self, st: &Statement) {
        match st {
            Statement::CreateTable(ct) => {
                let name = object_name(&ct.name);
                if ct.if_not_exists && self.tables.contains_key(&name) {
                    return;
                }
                let mut cols: Vec<Column> =
                    ct.columns.iter().map(|c| column(c, &self.enums, &self.domains)).collect();
                for constraint in &ct.constraints {
                    if let TableConstraint::PrimaryKey(pk) = constraint {
                        for ic in &pk.columns {
                            let key = ic.column.expr.to_string().trim_matches('"').to_lowercase();
                            for c in cols.iter_mut().filter(|c| c.name.to_lowercase() == key) {
                                c.nullable = false;
                            }
                        }
                    }
                }
                let (keys, exclusion) = declared_keys(&ct.columns, &ct.constraints);
                if exclusion {
                    self.exclusions.insert(name.clone());
                }
                self.keys.insert(name.clone(), keys);
                self.tables.insert(name, cols);
            }
            Statement::CreateIndex(ix) if ix.unique => {
                let table = object_name(&ix.table_name);
                let name = ix.name.as_ref().map(object_name);
                let key = Key { name, ..key_of(None, &ix.columns) };
                self.keys.entry(table).or_default().push(key);
            }
            Statement::Drop { object_type: ObjectType::Index, names, .. } => {
                let gone: Vec<String> = names.iter().map(object_name).collect();
                for keys in self.keys.values_mut() {
                    keys.retain(|k| k.name.as_ref().is_none_or(|n| !gone.contains(n)));
                }
            }
            Statement::AlterTable(at) => {
                let mut name = object_name(&at.name);
                for op in &at.operations {
                    if let AlterTableOperation::RenameTable { table_name } = op {
                        let (RenameTableNameKind::As(new) | RenameTableNameKind::To(new)) =
                            table_name;
                        if let Some(cols) = self.tables.remove(&name) {
                            let keys = self.keys.remove(&name).unwrap_or_default();
                            name = object_name(new);
                            self.keys.insert(name.clone(), keys);
                            self.tables.insert(name.clone(), cols);
                        }
                        continue;
                    }
                    let keys = self.keys.entry(name.clone()).or_default();
                    match op {
                        AlterTableOperation::AddConstraint { constraint, .. } => {
                            let (more, exclusion) =
                                declared_keys(&[], std::slice::from_ref(constraint));
                            keys.extend(more);
                            if exclusion {
                                self.exclusions.insert(name.clone());
                            }
                        }
                        AlterTableOperation::AddColumn { column_def, .. } => {
                            keys.extend(declared_keys(std::slice::from_ref(column_def), &[]).0);
                        }
                        AlterTableOperation::DropConstraint { name: gone, .. } => {
                            let gone = ident(gone);
                            keys.retain(|k| k.name.as_ref() != Some(&gone));
                        }
                        AlterTableOperation::DropColumn { column_names, .. } => {
                            let gone: Vec<String> = column_names.iter().map(ident).collect();
                            keys.retain(|k| {
                                k.columns
                                    .as_ref()
                                    .is_none_or(|c| !c.iter().any(|c| gone.contains(c)))
                            });
                        }
                        AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
                            let (old, new) = (ident(old_column_name), ident(new_column_name));
                            for c in keys.iter_mut().filter_map(|k| k.columns.as_mut()).flatten() {
                                if *c == old {
                                    c.clone_from(&new);
                                }
                            }
                        }
                        _ => {}
                    }
                    let (enums, domains) = (self.enums.clone(), self.domains.clone());
                    let Some(cols) = self.tables.get_mut(&name) else { continue };
                    match op {
                        AlterTableOperation::AddColumn { column_def, if_not_exists, .. } => {
                            let c = column(column_def, &enums, &domains);
                            if !(*if_not_exists && cols.iter().any(|x| x.name == c.name)) {
                                cols.push(c);
                            }
                        }
                        AlterTableOperation::DropColumn { column_names, .. } => {
                            let gone: Vec<String> = column_names.iter().map(ident).collect();
                            cols.retain(|c| !gone.contains(&c.name));
                        }
                        AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
                            let old = ident(old_column_name);
                            for c in cols.iter_mut().filter(|c| c.name == old) {
                                c.name = ident(new_column_name);
                            }
                        }
                        AlterTableOperation::AlterColumn { column_name, op } => {
                            let target = ident(column_name);
                            for c in cols.iter_mut().filter(|c| c.name == target) {
                                match op {
                                    AlterColumnOperation::SetNotNull => c.nullable = false,
                                    AlterColumnOperation::DropNotNull => c.nullable = true,
                                    AlterColumnOperation::SetDataType { data_type, .. } => {
                                        let ty = normalize_type(data_type, &enums);
                                        let (ty, not_null) = resolve_domain(&domains, ty);
                                        c.ty = ty;
                                        c.nullable &= !not_null;
                                    }
                                    _ => {}
                                }
                            }
                        }
                        AlterTableOperation::AddConstraint {
                            constraint: TableConstraint::PrimaryKey(pk),
                            ..
                        } => {
                            for ic in &pk.columns {
                                let key =
                                    ic.column.expr.to_string().trim_matches('"').to_lowercase();
                                for c in cols.iter_mut().filter(|c| c.name.to_lowercase() == key) {
                                    c.nullable = false;
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            Statement::CreateType {
                name,
                representation: Some(UserDefinedTypeRepresentation::Enum { labels }),
            } => {
                self.enums.insert(object_name(name));
                self.labels.insert(object_name(name), labels.iter().map(ident).collect());
            }
            Statement::AlterType(at) => self.alter_type(&object_name(&at.name), &at.operation),
            Statement::CreateView(v) => {
                let name = object_name(&v.name);
                if v.if_not_exists && self.tables.contains_key(&name) {
                    return;
                }
                let query = Statement::Query(v.query.clone());
                // A view whose query does not resolve is left out, as PostgreSQL would not
                // have created it.
                let Ok(typed) = super::infer::typed(self, &query) else { return };
                let Some(cols) = typed.columns else {
                    self.tables.remove(&name);
                    return;
                };
                let mut cols: Vec<Column> = cols
                    .into_iter()
                    .map(|c| Column {
                        name: c.name,
                        ty: c.ty.unwrap_or_default(),
                        nullable: !matches!(c.null, super::infer::Null::No),
                        nullable_known: c.null != super::infer::Null::Unknown,
                    })
                    .collect();
                for (c, named) in cols.iter_mut().zip(&v.columns) {
                    c.name = ident(&named.name);
                }
                self.tables.insert(name, cols);
            }
            Statement::Drop {
                object_type: ObjectType::View | ObjectType::MaterializedView,
                names,
                ..
            } => {
                for n in names {
                    self.tables.remove(&object_name(n));
                }
            }
            Statement::Drop { object_type: ObjectType::Table, names, .. } => {
                for n in names {
                    self.keys.remove(&object_name(n));
                    self.tables.remove(&object_name(n));
                }
            }
            _ => {}
        }
    }
}

impl Catalog {
    /// `ALTER TYPE`: an ENUM's values added or renamed, or the type renamed (its columns follow).
    fn alter_type(&mut self, name: &str, op: &AlterTypeOperation) {
        let name = name.strip_prefix("public.").unwrap_or(name);
        if !self.enums.contains(name) {
            return;
        }
        let labels = self.labels.entry(name.to_owned()).or_default();
        match op {
            AlterTypeOperation::AddValue(add) => {
                let value = ident(&add.value);
                if labels.contains(&value) {
                    return;
                }
                let at = match &add.position {
                    Some(AlterTypeAddValuePosition::Before(x)) => {
                        labels.iter().position(|l| *l == ident(x))
                    }
                    Some(AlterTypeAddValuePosition::After(x)) => {
                        labels.iter().position(|l| *l == ident(x)).map(|i| i + 1)
                    }
                    None => None,
                };
                labels.insert(at.unwrap_or(labels.len()), value);
            }
            AlterTypeOperation::RenameValue(r) => {
                let (from, to) = (ident(&r.from), ident(&r.to));
                for l in labels.iter_mut().filter(|l| **l == from) {
                    l.clone_from(&to);
                }
            }
            AlterTypeOperation::Rename(r) => {
                let new = ident(&r.new_name);
                let labels = self.labels.remove(name).unwrap_or_default();
                self.labels.insert(new.clone(), labels);
                self.enums.remove(name);
                self.enums.insert(new.clone());
                let (old_ty, new_ty) = (format!("enum:{name}"), format!("enum:{new}"));
                for c in self.tables.values_mut().flatten() {
                    if c.ty == old_ty {
                        c.ty.clone_from(&new_ty);
                    } else if c.ty.strip_suffix("[]") == Some(old_ty.as_str()) {
                        c.ty = format!("{new_ty}[]");
                    }
                }
            }
        }
    }
}

/// Migration files in the order they run: by file name (zero-pad numeric prefixes).
fn migration_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    Ok(files)
}

type CacheKey = (PathBuf, Vec<(PathBuf, Option<SystemTime>)>);

/// The catalog of `dir`, parsed once per compiler process while its files stay unchanged.
pub(crate) fn load(dir: &Path) -> Result<Schema, Diag> {
    static CACHE: Mutex<Vec<(CacheKey, Arc<Catalog>)>> = Mutex::new(Vec::new());
    let files = migration_files(dir).map_err(|e| {
        Diag::new(
            format!("cannot read the migrations folder `{}`: {e}", dir.display()),
            "point `#[entity(schema = \"…\")]` at the folder of `.sql` migrations (relative to this file), or turn the check off with `schema = false`",
        )
    })?;
    let stamps: Vec<(PathBuf, Option<SystemTime>)> = files
        .iter()
        .map(|f| (f.clone(), std::fs::metadata(f).and_then(|m| m.modified()).ok()))
        .collect();
    let key = (dir.to_path_buf(), stamps);
    if let Ok(cache) = CACHE.lock()
        && let Some((_, catalog)) = cache.iter().find(|(k, _)| *k == key)
    {
        return Ok(Schema { catalog: catalog.clone(), files });
    }
    let mut catalog = Catalog::default();
    for f in &files {
        let sql = std::fs::read_to_string(f).map_err(|e| {
            Diag::new(
                format!("cannot read migration `{}`: {e}", f.display()),
                "migrations must be UTF-8 text files",
            )
        })?;
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        catalog.apply_file(&name, &sql)?;
    }
    let catalog = Arc::new(catalog);
    if let Ok(mut cache) = CACHE.lock() {
        cache.push((key, catalog.clone()));
    }
    Ok(Schema { catalog, files })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(files: &[&str]) -> Catalog {
        let mut c = Catalog::default();
        for (i, f) in files.iter().enumerate() {
            c.apply_file(&format!("{i:04}.sql"), f).expect("applies");
        }
        c
    }

    fn col<'a>(c: &'a Catalog, table: &str, name: &str) -> &'a Column {
        c.tables[table].iter().find(|x| x.name == name).expect("column exists")
    }

    #[test]
    fn create_table_types_and_nullability() {
        let c = catalog(&["
            CREATE TYPE mood AS ENUM ('happy', 'sad');
            CREATE TABLE public.users (
                id BIGSERIAL PRIMARY KEY,
                phone VARCHAR(20) NOT NULL,
                email TEXT,
                price NUMERIC(10, 2) NOT NULL,
                at TIMESTAMP WITH TIME ZONE NOT NULL,
                tags TEXT[] NOT NULL,
                feeling mood,
                \"Odd\" INT
            );
            CREATE TABLE pairs (a INT, b INT, PRIMARY KEY (a, b));
        "]);
        assert_eq!(
            col(&c, "users", "id"),
            &Column { name: "id".into(), ty: "int8".into(), nullable: false, nullable_known: true }
        );
        assert_eq!(col(&c, "users", "phone").ty, "text");
        assert!(col(&c, "users", "email").nullable);
        assert_eq!(col(&c, "users", "price").ty, "numeric");
        assert_eq!(col(&c, "users", "at").ty, "timestamptz");
        assert_eq!(col(&c, "users", "tags").ty, "text[]");
        assert_eq!(col(&c, "users", "feeling").ty, "enum:mood");
        assert_eq!(col(&c, "users", "Odd").ty, "int4");
        assert!(!col(&c, "pairs", "a").nullable && !col(&c, "pairs", "b").nullable);
    }

    #[test]
    fn a_domain_column_has_the_base_type_and_the_domain_nullability() {
        let c = catalog(&[
            "-- Not null, says this comment (NOT NULL), which is no constraint.
             CREATE DOMAIN email AS VARCHAR(200) NOT NULL CHECK (VALUE LIKE '%@%' AND VALUE <> 'not null');
             CREATE DOMAIN public.cents AS bigint CHECK (VALUE >= 0);
             CREATE DOMAIN note AS text;",
            "CREATE TABLE t (id BIGINT PRIMARY KEY, mail email, price cents NOT NULL, memo note,
                            notes note[], old INT);
             ALTER TABLE t ADD COLUMN backup email;
             ALTER TABLE t ALTER COLUMN old TYPE cents;",
        ]);
        assert_eq!(
            col(&c, "t", "mail"),
            &Column {
                name: "mail".into(),
                ty: "text".into(),
                nullable: false,
                nullable_known: true
            }
        );
        assert_eq!(
            (col(&c, "t", "price").ty.as_str(), col(&c, "t", "price").nullable),
            ("int8", false)
        );
        assert_eq!(
            (col(&c, "t", "memo").ty.as_str(), col(&c, "t", "memo").nullable),
            ("text", true)
        );
        assert_eq!(col(&c, "t", "notes").ty, "text[]");
        assert_eq!(
            (col(&c, "t", "backup").ty.as_str(), col(&c, "t", "backup").nullable),
            ("text", false)
        );
        assert_eq!(col(&c, "t", "old").ty, "int8");
        assert!(col(&c, "t", "old").nullable, "cents allows NULL");
    }

    #[test]
    fn serial_and_identity_columns_are_not_null_without_saying_so() {
        let c = catalog(&["CREATE TABLE t (
            id INT PRIMARY KEY, seq SERIAL, big BIGSERIAL,
            a BIGINT GENERATED ALWAYS AS IDENTITY, b INT GENERATED BY DEFAULT AS IDENTITY,
            total INT GENERATED ALWAYS AS (id * 2) STORED, plain INT
        );"]);
        for name in ["seq", "big", "a", "b"] {
            assert!(!col(&c, "t", name).nullable, "{name}");
        }
        assert_eq!(
            (col(&c, "t", "seq").ty.as_str(), col(&c, "t", "big").ty.as_str()),
            ("int4", "int8")
        );
        assert!(col(&c, "t", "total").nullable, "a generated expression can be NULL");
        assert!(col(&c, "t", "plain").nullable);
    }

    #[test]
    fn alter_table_in_file_order() {
        let c = catalog(&[
            "CREATE TABLE t (a INT NOT NULL, b TEXT, c TEXT);",
            "ALTER TABLE t ADD COLUMN d BIGINT NOT NULL DEFAULT 0;
             ALTER TABLE t DROP COLUMN c;
             ALTER TABLE t RENAME COLUMN b TO bee;
             ALTER TABLE t ALTER COLUMN bee SET NOT NULL;
             ALTER TABLE t ALTER COLUMN a DROP NOT NULL;
             ALTER TABLE t ALTER COLUMN d TYPE INT;",
            "ALTER TABLE t RENAME TO tee; CREATE TABLE gone (x INT); DROP TABLE gone;",
        ]);
        let names: Vec<&str> = c.tables["tee"].iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "bee", "d"]);
        assert!(col(&c, "tee", "a").nullable);
        assert!(!col(&c, "tee", "bee").nullable);
        assert_eq!(col(&c, "tee", "d").ty, "int4");
        assert!(!c.tables.contains_key("t") && !c.tables.contains_key("gone"));
    }

    #[test]
    fn enum_values_follow_alter_type() {
        let c = catalog(&[
            "CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE TABLE t (m mood, ms mood[]);",
            "ALTER TYPE mood ADD VALUE 'happy';
             ALTER TYPE mood ADD VALUE 'calm' BEFORE 'ok';
             ALTER TYPE mood ADD VALUE IF NOT EXISTS 'sad';
             ALTER TYPE mood ADD VALUE 'meh' AFTER 'sad';
             ALTER TYPE mood RENAME VALUE 'ok' TO 'fine';",
            "ALTER TYPE mood RENAME TO feeling;",
        ]);
        assert_eq!(c.labels["feeling"], ["sad", "meh", "calm", "fine", "happy"]);
        assert!(c.enums.contains("feeling") && !c.enums.contains("mood"));
        assert_eq!(col(&c, "t", "m").ty, "enum:feeling");
        assert_eq!(col(&c, "t", "ms").ty, "enum:feeling[]");
    }

    #[test]
    fn views_are_typed_from_their_query() {
        let c = catalog(&[
            "CREATE TABLE a (id BIGINT PRIMARY KEY, name TEXT NOT NULL);
             CREATE TABLE b (id BIGINT PRIMARY KEY, a_id BIGINT NOT NULL, title TEXT NOT NULL);
             CREATE VIEW a_b AS SELECT a.id, a.name, b.title, count(*) OVER () AS n, my_fn(a.name) AS odd
                 FROM a LEFT JOIN b ON b.a_id = a.id;
             CREATE VIEW renamed (key, label) AS SELECT id, name FROM a;
             CREATE MATERIALIZED VIEW gone AS SELECT id FROM a;
             DROP MATERIALIZED VIEW gone;
             CREATE VIEW weird AS SELECT * FROM a WINDOW w AS (PARTITION BY id) FETCH FIRST 1 ROW WITH TIES;",
        ]);
        let view = |n: &str| {
            c.tables[n]
                .iter()
                .map(|c| {
                    let null = match (c.nullable_known, c.nullable) {
                        (false, _) => "!",
                        (true, true) => "?",
                        (true, false) => "",
                    };
                    format!("{} {}{null}", c.name, c.ty)
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        assert_eq!(view("a_b"), "id int8, name text, title text?, n int8, odd !");
        assert_eq!(view("renamed"), "key int8, label text");
        assert!(!c.tables.contains_key("gone"));
    }

    #[test]
    fn keys_follow_constraints_indexes_and_renames() {
        let c = catalog(&[
            "CREATE TABLE t (id BIGINT PRIMARY KEY, a TEXT UNIQUE, b INT, c INT, d INT,
                            CONSTRAINT t_bc UNIQUE (b, c));
             CREATE UNIQUE INDEX t_lower ON t (lower(a));
             CREATE UNIQUE INDEX t_d ON t (d) WHERE d > 0;
             CREATE TABLE x (id INT, EXCLUDE USING gist (id WITH =));",
            "ALTER TABLE t RENAME COLUMN b TO bee;
             ALTER TABLE t ADD CONSTRAINT t_cd UNIQUE (c, d);
             ALTER TABLE t DROP CONSTRAINT t_cd;
             DROP INDEX t_d;
             ALTER TABLE t ADD COLUMN e INT UNIQUE;
             ALTER TABLE t RENAME TO tee;",
        ]);
        let keys: Vec<Option<Vec<String>>> =
            c.keys["tee"].iter().map(|k| k.columns.clone()).collect();
        let cols = |s: &[&str]| Some(s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>());
        assert_eq!(keys, [cols(&["id"]), cols(&["a"]), cols(&["bee", "c"]), None, cols(&["e"])]);
        assert!(c.exclusions.contains("x"));
    }

    #[test]
    fn other_statements_are_skipped_and_bodies_are_not_split() {
        let c = catalog(&["
            CREATE EXTENSION IF NOT EXISTS pgcrypto;
            CREATE FUNCTION touch() RETURNS trigger AS $$ BEGIN NEW.at = now(); RETURN NEW; END $$ LANGUAGE plpgsql;
            -- a comment; with a semicolon
            CREATE TABLE t (a TEXT DEFAULT 'x;y');
            CREATE INDEX t_a ON t USING gin (a gin_trgm_ops);
            INSERT INTO t VALUES ('z');
        "]);
        assert_eq!(c.tables["t"].len(), 1);
    }

    #[test]
    fn an_unreadable_schema_statement_is_an_error_naming_the_file_and_line() {
        let mut c = Catalog::default();
        let e = c
            .apply_file("0002_bad.sql", "SELECT 1;\n\nCREATE TABLE t (a INT NOT NULL,, b INT);")
            .expect_err("fails");
        assert!(
            e.message.starts_with("migration `0002_bad.sql` line 3: cannot read `CREATE TABLE t"),
            "{}",
            e.message
        );
    }

    #[test]
    fn type_names_fold_synonyms() {
        let enums = BTreeSet::from(["mood".to_owned()]);
        for (raw, want) in [
            ("integer", "int4"),
            ("SERIAL", "int4"),
            ("double precision", "float8"),
            ("character varying(10)", "text"),
            ("timestamp without time zone", "timestamp"),
            ("INT8[]", "int8[]"),
            ("mood", "enum:mood"),
            ("decimal(5,1)", "numeric"),
        ] {
            assert_eq!(normalize_type_name(raw, &enums), want, "{raw}");
        }
    }
}
