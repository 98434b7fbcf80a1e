//! The type and nullability of each column a statement returns, from the catalog of the
//! migrations alone (no database): names resolved through tables, aliases, joins, CTEs and
//! subqueries; types through columns, literals, casts, operators and common functions;
//! nullability through NOT NULL, outer joins, aggregates over no rows and strict operators.
//!
//! It never guesses: what it cannot decide (an unknown function, an operator on types it does
//! not model) is `None`, which the check leaves to `verify()`. An unknown table or column is an
//! error only where it is certain (every relation in reach is known).
//!
//! This file is the name resolution: one recursive walk over statements, queries, FROM items
//! and scopes, which share the scope type and cannot be cut without passing it around; typing
//! of expressions and functions is in `expr.rs`, the tests in `tests.rs`. The free functions
//! at the end (USING's merged columns, functions in FROM, a `SELECT … FROM UNNEST(…)`,
//! relations pushed onto a scope) are steps of that walk over the same scope type.

use sqlparser::ast::{
    AccessExpr, BinaryOperator, DataType, Expr, FunctionArg, FunctionArgExpr, GroupByExpr, Ident,
    Join, JoinConstraint, JoinOperator, ObjectName, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, Statement, Subscript, TableAlias, TableFactor,
    TableObject, TableWithJoins, Value,
};

use super::schema::Catalog;
use crate::template::Diag;

/// Whether a column can be NULL, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Null {
    /// Never NULL.
    No,
    /// Can be NULL, for the reason given.
    Yes(String),
    /// Not decided.
    Unknown,
}

/// One result column as inferred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Col {
    /// The name PostgreSQL gives it (`?column?` when it has none).
    pub name: String,
    /// Normalized type (`int4`, `text`, `enum:mood`, …), `None` when not decided.
    pub ty: Option<String>,
    pub null: Null,
}

/// A type that is still a string literal, which PostgreSQL resolves from its context (and to
/// `text` when there is none).
const LITERAL: &str = "unknown";

#[derive(Debug, Clone)]
struct Rel {
    /// The name it is referred to by (alias, else the table name).
    name: String,
    /// How reasons name it: `loans l`, `loans`, `(subquery) s`.
    label: String,
    cols: Vec<Col>,
    /// The columns are all known (a table of the catalog, a CTE, a typed subquery).
    known: bool,
    /// Why every column may be NULL (the nullable side of an outer join).
    outer: Option<String>,
    /// Columns a `USING` join merged: only a qualified name reaches them, and `*` lists the
    /// merged column instead.
    hidden: Vec<String>,
}

impl Rel {
    fn new(name: String, label: String, cols: Vec<Col>, known: bool) -> Self {
        Self { name, label, cols, known, outer: None, hidden: Vec::new() }
    }
}

#[derive(Default)]
struct Scope {
    rels: Vec<Rel>,
    /// Whether every relation in reach is known, so a name not found is an error.
    complete: bool,
}

struct Infer<'a> {
    catalog: &'a Catalog,
    /// CTEs in reach, innermost last.
    ctes: Vec<(String, Vec<Col>)>,
    /// Enclosing scopes (correlated subqueries), innermost last.
    outer: Vec<Scope>,
    /// The type PostgreSQL gives `$n` from where it first stands, and what decided it.
    params: std::collections::BTreeMap<usize, (String, String)>,
    /// `$n` written straight into a NOT NULL column (INSERT or SET), with the column.
    not_null: std::collections::BTreeMap<usize, String>,
    /// The first string literal that stands for an ENUM value the type does not have.
    bad_label: Option<Diag>,
}

/// The number of a `$n` parameter (through parentheses).
fn param_number(e: &Expr) -> Option<usize> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Placeholder(p) => p.strip_prefix('$')?.parse().ok(),
            _ => None,
        },
        Expr::Nested(inner) => param_number(inner),
        _ => None,
    }
}

/// The text of a string literal (through parentheses).
fn string_literal(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s) => Some(s),
            _ => None,
        },
        Expr::Nested(inner) => string_literal(inner),
        _ => None,
    }
}

fn ident(i: &Ident) -> String {
    if i.quote_style.is_some() { i.value.clone() } else { i.value.to_lowercase() }
}

fn object_name(name: &ObjectName) -> Vec<String> {
    name.0.iter().map(|p| p.as_ident().map(ident).unwrap_or_else(|| p.to_string())).collect()
}

fn known(ty: &str) -> Option<String> {
    Some(ty.to_owned())
}

fn numeric_rank(ty: &str) -> Option<u8> {
    Some(match ty {
        "int2" => 1,
        "int4" => 2,
        "int8" => 3,
        "numeric" => 4,
        "float4" => 5,
        "float8" => 6,
        _ => return None,
    })
}

/// Nullable when any argument is (a strict operator or function).
fn strict(parts: &[&Null]) -> Null {
    if let Some(Null::Yes(why)) = parts.iter().find(|n| matches!(n, Null::Yes(_))) {
        return Null::Yes(why.clone());
    }
    if parts.iter().any(|n| **n == Null::Unknown) { Null::Unknown } else { Null::No }
}

fn did_you_mean<'x>(name: &str, candidates: impl Iterator<Item = &'x str>) -> String {
    let best = candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    best.map(|(_, c)| format!("did you mean `{c}`? ")).unwrap_or_default()
}

impl Infer<'_> {
    /// Notes that `$n` (if `e` is one) takes `ty`, as the first context PostgreSQL sees decides.
    ///
    /// A string literal there that names no value of an ENUM `ty` is an error (PostgreSQL
    /// refuses it when the statement runs: invalid input value for enum).
    fn param(&mut self, e: &Expr, ty: Option<&str>, because: impl FnOnce() -> String) {
        if let Some(name) = ty.and_then(|t| t.strip_prefix("enum:"))
            && let Some(value) = string_literal(e)
            && let Some(labels) = self.catalog.labels.get(name)
            && !labels.iter().any(|l| l == value)
            && self.bad_label.is_none()
        {
            self.bad_label = Some(Diag::new(
                format!("'{value}' is not a value of the enum `{name}`"),
                format!(
                    "{}the migrations give `{name}` the values {}",
                    did_you_mean(value, labels.iter().map(String::as_str)),
                    crate::diag::list(labels.iter().map(String::as_str))
                ),
            ));
        }
        if let (Some(n), Some(ty)) = (param_number(e), ty)
            && ty != LITERAL
        {
            self.params.entry(n).or_insert_with(|| (ty.to_owned(), because()));
        }
    }

    /// `INSERT INTO t (a, …) SELECT … FROM UNNEST($1, …)`, a batch: a parameter UNNEST turns
    /// into the values of column `a` is an array of `a`'s type (`SELECT *`, or the column of the
    /// alias); one cut by bounds, `($2)[u.f1:u.l1]`, has `a`'s own (array) type, and its bounds
    /// are `int4[]`.
    fn batch_params(&mut self, source: &Query, targets: &[Option<&Col>]) {
        let Some((select, exprs, alias)) = unnest_select(source) else { return };
        let (rel, columns): (Option<String>, Vec<String>) = match alias {
            Some(a) => (Some(ident(&a.name)), a.columns.iter().map(|c| ident(&c.name)).collect()),
            None => (None, Vec::new()),
        };
        // The UNNEST argument behind a column of the alias.
        let argument = |e: &Expr| -> Option<&Expr> {
            let column = match e {
                Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                    [r, c] if rel.as_deref() == Some(ident(r).as_str()) => ident(c),
                    _ => return None,
                },
                Expr::Identifier(c) => ident(c),
                _ => return None,
            };
            exprs.get(columns.iter().position(|c| *c == column)?).copied()
        };
        let projection: Vec<Option<&Expr>> = match select.projection.as_slice() {
            [SelectItem::Wildcard(_)] => exprs.iter().map(|e| Some(*e)).collect(),
            items => items
                .iter()
                .map(|item| match item {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                        Some(e)
                    }
                    _ => None,
                })
                .collect(),
        };
        let wildcard = matches!(select.projection.as_slice(), [SelectItem::Wildcard(_)]);
        for (item, target) in projection.into_iter().zip(targets) {
            let (Some(e), Some(Col { name, ty: Some(ty), .. })) = (item, target) else { continue };
            let because = || format!("its elements are inserted into `{name}`");
            if wildcard {
                self.param(e, Some(&format!("{ty}[]")), because);
            } else if let Some(arg) = argument(e) {
                self.param(arg, Some(&format!("{ty}[]")), because);
            } else if let Expr::CompoundFieldAccess { root, access_chain } = e
                && let [
                    AccessExpr::Subscript(Subscript::Slice {
                        lower_bound,
                        upper_bound,
                        stride: None,
                    }),
                ] = access_chain.as_slice()
            {
                self.param(root, Some(ty), || format!("rows of `{name}` are cut out of it"));
                for bound in [lower_bound, upper_bound].into_iter().flatten() {
                    if let Some(arg) = argument(bound) {
                        self.param(arg, Some("int4[]"), || {
                            format!("it bounds the rows of `{name}`")
                        });
                    }
                }
            }
        }
    }

    /// `col = value` of SET: the value's type and nullability, and a parameter there typed as
    /// the column.
    fn assignment(
        &mut self,
        a: &sqlparser::ast::Assignment,
        scope: &Scope,
    ) -> Result<(Option<String>, Null), Diag> {
        let out = self.expr(&a.value, scope)?;
        if let sqlparser::ast::AssignmentTarget::ColumnName(n) = &a.target
            && let [col] = object_name(n).as_slice()
        {
            let target = scope.rels.first().and_then(|r| r.cols.iter().find(|c| c.name == *col));
            let ty = target.and_then(|c| c.ty.clone());
            self.param(&a.value, ty.as_deref(), || format!("it is assigned to `{col}`"));
            if let (Some(n), Some(Col { null: Null::No, .. })) = (param_number(&a.value), target) {
                self.not_null.entry(n).or_insert_with(|| col.clone());
            }
        }
        Ok(out)
    }

    fn conflict_target(&self, name: &ObjectName, columns: &[Ident]) -> Result<(), Diag> {
        let table = match object_name(name).as_slice() {
            [t] => t.clone(),
            [schema, t] if schema == "public" => t.clone(),
            _ => return Ok(()),
        };
        if !self.catalog.tables.contains_key(&table) || self.catalog.exclusions.contains(&table) {
            return Ok(());
        }
        let mut wanted: Vec<String> = columns.iter().map(ident).collect();
        wanted.sort();
        let keys = self.catalog.keys.get(&table).map(Vec::as_slice).unwrap_or_default();
        let plain: Vec<Vec<String>> = keys.iter().filter_map(|k| k.columns.clone()).collect();
        if plain.iter().any(|k| {
            let mut k = k.clone();
            k.sort();
            k == wanted
        }) {
            return Ok(());
        }
        let listed: Vec<String> = plain.iter().map(|k| format!("({})", k.join(", "))).collect();
        let target = columns.iter().map(ident).collect::<Vec<_>>().join(", ");
        Err(Diag::new(
            format!(
                "`ON CONFLICT ({target})` names no primary key or unique constraint of `{table}`, so PostgreSQL refuses the statement"
            ),
            format!(
                "{}; name one of them, or add a unique index on ({target}) in a migration",
                if listed.is_empty() {
                    format!("`{table}` has no key in the migrations")
                } else {
                    format!("the keys of `{table}` are {}", listed.join(", "))
                }
            ),
        ))
    }

    fn table(&self, name: &ObjectName) -> Result<Option<Vec<Col>>, Diag> {
        let parts = object_name(name);
        if let [one] = parts.as_slice()
            && let Some((_, cols)) = self.ctes.iter().rev().find(|(n, _)| n == one)
        {
            return Ok(Some(cols.clone()));
        }
        let table = match parts.as_slice() {
            [one] => one.as_str(),
            [schema, t] if schema == "public" => t.as_str(),
            // Other schemas (pg_catalog, information_schema, extensions) are not modelled.
            _ => return Ok(None),
        };
        match self.catalog.tables.get(table) {
            Some(cols) => Ok(Some(
                cols.iter()
                    .map(|c| Col {
                        name: c.name.clone(),
                        ty: Some(c.ty.clone()).filter(|t| !t.is_empty()),
                        null: if !c.nullable_known {
                            Null::Unknown
                        } else if c.nullable {
                            Null::Yes(format!(
                                "`{table}.{}` allows NULL (it has no NOT NULL in the migrations)",
                                c.name
                            ))
                        } else {
                            Null::No
                        },
                    })
                    .collect(),
            )),
            None => {
                let hint = did_you_mean(
                    table,
                    self.catalog
                        .tables
                        .keys()
                        .map(String::as_str)
                        .chain(self.ctes.iter().map(|(n, _)| n.as_str())),
                );
                Err(Diag::new(
                    format!("no table `{table}` in the migrations"),
                    format!(
                        "{hint}the tables are {}; a table the migrations do not create (an extension's) needs `#[sql(\"…\", unchecked)]`",
                        crate::diag::list(self.catalog.tables.keys().map(String::as_str))
                    ),
                ))
            }
        }
    }

    /// The columns of a statement; `None` where its shape is not modelled.
    fn statement(&mut self, st: &Statement) -> Result<Option<Vec<Col>>, Diag> {
        match st {
            Statement::Query(q) => self.query(q),
            Statement::Insert(i) => {
                let TableObject::TableName(name) = &i.table else { return Ok(None) };
                let Some(cols) = self.table(name)? else { return Ok(None) };
                // `INSERT (a, b) VALUES ($1, $2)`: each parameter takes its column's type.
                let targets: Vec<Option<&Col>> = if i.columns.is_empty() {
                    cols.iter().map(Some).collect()
                } else {
                    i.columns
                        .iter()
                        .map(|c| {
                            let name = object_name(c).last().cloned().unwrap_or_default();
                            cols.iter().find(|x| x.name == name)
                        })
                        .collect()
                };
                if let Some(source) = &i.source
                    && let SetExpr::Values(v) = source.body.as_ref()
                {
                    for row in &v.rows {
                        for (e, target) in row.iter().zip(&targets) {
                            if let Some(t) = target {
                                let (column, ty) = (t.name.clone(), t.ty.clone());
                                if let (Some(n), Null::No) = (param_number(e), &t.null) {
                                    self.not_null.entry(n).or_insert_with(|| column.clone());
                                }
                                self.param(e, ty.as_deref(), || {
                                    format!("it is inserted into `{column}`")
                                });
                            }
                        }
                    }
                } else if let Some(source) = &i.source {
                    self.query(source)?;
                    self.batch_params(source, &targets);
                }
                // `ON CONFLICT (cols)` must name a key of the table, or PostgreSQL refuses the
                // statement when it is prepared.
                if let Some(sqlparser::ast::OnInsert::OnConflict(c)) = &i.on
                    && let Some(sqlparser::ast::ConflictTarget::Columns { columns, .. }) =
                        &c.conflict_target
                {
                    self.conflict_target(name, columns)?;
                }
                // ON CONFLICT … DO UPDATE SET … WHERE …: the target row and `excluded`.
                if let Some(sqlparser::ast::OnInsert::OnConflict(c)) = &i.on
                    && let sqlparser::ast::OnConflictAction::DoUpdate(u) = &c.action
                {
                    let table = object_name(name).last().cloned().unwrap_or_default();
                    let target = match &i.table_alias {
                        Some(a) => ident(&a.alias),
                        None => table.clone(),
                    };
                    let scope = Scope {
                        rels: vec![
                            Rel::new(target, format!("`{table}`"), cols.clone(), true),
                            Rel::new("excluded".into(), "`excluded`".into(), cols.clone(), true),
                        ],
                        complete: true,
                    };
                    for a in &u.assignments {
                        self.assignment(a, &scope)?;
                    }
                    if let Some(w) = &u.selection {
                        self.expr(w, &scope)?;
                    }
                }
                let Some(returning) = &i.returning else { return Ok(Some(Vec::new())) };
                let rel_name = match &i.table_alias {
                    Some(a) => ident(&a.alias),
                    None => object_name(name).last().cloned().unwrap_or_default(),
                };
                let scope = Scope {
                    rels: vec![Rel::new(rel_name.clone(), format!("`{rel_name}`"), cols, true)],
                    complete: true,
                };
                self.projection(returning, &scope, false)
            }
            Statement::Update(u) => {
                let mut scope = self.from(std::slice::from_ref(&u.table))?;
                if let Some(from) = &u.from {
                    let (sqlparser::ast::UpdateTableFromKind::BeforeSet(f)
                    | sqlparser::ast::UpdateTableFromKind::AfterSet(f)) = from;
                    let more = self.from(f)?;
                    scope.complete &= more.complete;
                    scope.rels.extend(more.rels);
                }
                // RETURNING sees the values SET gave.
                let mut set = Vec::new();
                for a in &u.assignments {
                    let (ty, null) = self.assignment(a, &scope)?;
                    if let sqlparser::ast::AssignmentTarget::ColumnName(n) = &a.target
                        && let [col] = object_name(n).as_slice()
                        && let Some(c) = scope
                            .rels
                            .first()
                            .and_then(|r| r.cols.iter().position(|c| c.name == *col))
                        && ty.is_some()
                    {
                        set.push((c, null));
                    }
                }
                if let Some(target) = scope.rels.first_mut() {
                    for (c, null) in set {
                        target.cols[c].null = null;
                    }
                }
                self.narrow(&mut scope, u.selection.as_ref())?;
                let Some(returning) = &u.returning else { return Ok(Some(Vec::new())) };
                self.projection(returning, &scope, false)
            }
            Statement::Delete(d) => {
                let (sqlparser::ast::FromTable::WithFromKeyword(from)
                | sqlparser::ast::FromTable::WithoutKeyword(from)) = &d.from;
                let mut scope = self.from(from)?;
                if let Some(using) = &d.using {
                    let more = self.from(using)?;
                    scope.complete &= more.complete;
                    scope.rels.extend(more.rels);
                }
                self.narrow(&mut scope, d.selection.as_ref())?;
                let Some(returning) = &d.returning else { return Ok(Some(Vec::new())) };
                self.projection(returning, &scope, false)
            }
            _ => Ok(None),
        }
    }

    fn query(&mut self, q: &Query) -> Result<Option<Vec<Col>>, Diag> {
        let depth = self.ctes.len();
        let out = self.query_inner(q);
        self.ctes.truncate(depth);
        out
    }

    fn query_inner(&mut self, q: &Query) -> Result<Option<Vec<Col>>, Diag> {
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                let name = ident(&cte.alias.name);
                let rename = |cols: &mut Vec<Col>| {
                    if cte.alias.columns.len() > cols.len() {
                        return false;
                    }
                    for (c, a) in cols.iter_mut().zip(&cte.alias.columns) {
                        c.name = ident(&a.name);
                    }
                    true
                };
                let cols = match cte.query.body.as_ref() {
                    // The recursive branch reads the CTE itself: start from the first branch
                    // and type the whole again until the nullability stops changing.
                    SetExpr::SetOperation { left, .. } if with.recursive => {
                        let anchor = Query { body: left.clone(), ..(*cte.query).clone() };
                        let anchor = Query { with: None, order_by: None, ..anchor };
                        let Some(mut cols) = self.query(&anchor)? else { return Ok(None) };
                        if !rename(&mut cols) {
                            return Ok(None);
                        }
                        let mut settled = None;
                        for _ in 0..3 {
                            self.ctes.push((name.clone(), cols.clone()));
                            let next = self.query(&cte.query);
                            self.ctes.pop();
                            let Some(mut next) = next? else { return Ok(None) };
                            if !rename(&mut next) {
                                return Ok(None);
                            }
                            if next == cols {
                                settled = Some(next);
                                break;
                            }
                            cols = next;
                        }
                        settled.unwrap_or_else(|| {
                            cols.into_iter().map(|c| Col { null: Null::Unknown, ..c }).collect()
                        })
                    }
                    _ => {
                        let Some(mut cols) = self.query(&cte.query)? else { return Ok(None) };
                        if !rename(&mut cols) {
                            return Ok(None);
                        }
                        cols
                    }
                };
                self.ctes.push((name, cols));
            }
        }
        let out = match q.body.as_ref() {
            SetExpr::Select(s) => self.select(s, q.order_by.as_ref()),
            body => self.set_expr(body),
        };
        if let Some(sqlparser::ast::LimitClause::LimitOffset { limit, offset, .. }) =
            &q.limit_clause
        {
            if let Some(l) = limit {
                self.param(l, Some("int8"), || "it is a LIMIT".to_owned());
            }
            if let Some(o) = offset {
                self.param(&o.value, Some("int8"), || "it is an OFFSET".to_owned());
            }
        }
        out
    }

    fn set_expr(&mut self, body: &SetExpr) -> Result<Option<Vec<Col>>, Diag> {
        match body {
            SetExpr::Select(s) => self.select(s, None),
            SetExpr::Query(q) => self.query(q),
            SetExpr::SetOperation { left, right, op, .. } => {
                let (Some(l), Some(r)) = (self.set_expr(left)?, self.set_expr(right)?) else {
                    return Ok(None);
                };
                if l.len() != r.len() {
                    return Ok(None);
                }
                let except = matches!(op, sqlparser::ast::SetOperator::Except);
                let intersect = matches!(op, sqlparser::ast::SetOperator::Intersect);
                Ok(Some(
                    l.into_iter()
                        .zip(r)
                        .map(|(a, b)| {
                            let (mut ty, mut agree) = (a.ty.clone(), a.ty.is_some());
                            merge_type(&mut ty, &mut agree, b.ty.clone());
                            let ty = ty.filter(|_| agree);
                            // EXCEPT returns rows of the left side only; INTERSECT rows of
                            // both, so NULL only where both sides can give it.
                            let null = if except {
                                a.null
                            } else if intersect && (a.null == Null::No || b.null == Null::No) {
                                Null::No
                            } else {
                                strict(&[&a.null, &b.null])
                            };
                            Col { name: a.name, ty, null }
                        })
                        .collect(),
                ))
            }
            SetExpr::Values(v) => {
                let scope = Scope::default();
                let mut out: Option<Vec<Col>> = None;
                for row in &v.rows {
                    let cols: Vec<Col> = row
                        .iter()
                        .enumerate()
                        .map(|(i, e)| {
                            let (ty, null) = self.expr(e, &scope)?;
                            Ok(Col { name: format!("column{}", i + 1), ty, null })
                        })
                        .collect::<Result<_, Diag>>()?;
                    out = Some(match out {
                        None => cols,
                        Some(prev) => prev
                            .into_iter()
                            .zip(cols)
                            .map(|(a, b)| {
                                let (mut ty, mut agree) = (a.ty.clone(), a.ty.is_some());
                                merge_type(&mut ty, &mut agree, b.ty.clone());
                                Col {
                                    ty: ty.filter(|_| agree),
                                    null: strict(&[&a.null, &b.null]),
                                    name: a.name,
                                }
                            })
                            .collect(),
                    });
                }
                Ok(out.map(|cols| cols.into_iter().map(resolve_literal).collect()))
            }
            SetExpr::Insert(st) | SetExpr::Update(st) | SetExpr::Delete(st) => self.statement(st),
            _ => Ok(None),
        }
    }

    fn select(
        &mut self,
        s: &Select,
        order_by: Option<&sqlparser::ast::OrderBy>,
    ) -> Result<Option<Vec<Col>>, Diag> {
        let mut scope = self.from(&s.from)?;
        for rel in &scope.rels {
            if !rel.known {
                scope.complete = false;
            }
        }
        self.narrow(&mut scope, s.selection.as_ref())?;
        let grouped = match &s.group_by {
            GroupByExpr::Expressions(e, _) => !e.is_empty(),
            GroupByExpr::All(_) => true,
        };
        let out = self.projection(&s.projection, &scope, grouped)?;
        // GROUP BY and ORDER BY may name an output column (or its position); anything else,
        // and HAVING, reads the FROM.
        let mut outputs: Vec<String> = out.iter().flatten().map(|c| c.name.clone()).collect();
        outputs.extend(s.projection.iter().filter_map(|i| match i {
            SelectItem::ExprWithAlias { alias, .. } => Some(ident(alias)),
            _ => None,
        }));
        let output = |e: &Expr| match e {
            Expr::Identifier(i) => outputs.contains(&ident(i)),
            Expr::Value(v) => matches!(v.value, Value::Number(..)),
            _ => false,
        };
        let mut keys: Vec<&Expr> = match &s.group_by {
            GroupByExpr::Expressions(e, _) => e.iter().collect(),
            GroupByExpr::All(_) => Vec::new(),
        };
        if let Some(sqlparser::ast::OrderByKind::Expressions(o)) = order_by.map(|o| &o.kind) {
            keys.extend(o.iter().map(|o| &o.expr));
        }
        for e in keys.into_iter().filter(|e| !output(e)) {
            self.expr(e, &scope)?;
        }
        if let Some(h) = &s.having {
            self.expr(h, &scope)?;
        }
        Ok(out)
    }

    /// Checks the names in WHERE, and makes a column NOT NULL where a top-level condition
    /// rejects NULL there (`x IS NOT NULL`, `x = …`): the row it belongs to was then matched,
    /// so the other columns of an outer join's side are as NULL as their table says.
    fn narrow(&mut self, scope: &mut Scope, filter: Option<&Expr>) -> Result<(), Diag> {
        let Some(filter) = filter else { return Ok(()) };
        self.expr(filter, scope)?;
        let mut conjuncts = vec![filter];
        let mut rejects = Vec::new();
        while let Some(e) = conjuncts.pop() {
            match e {
                Expr::BinaryOp { left, op: BinaryOperator::And, right } => {
                    conjuncts.push(left);
                    conjuncts.push(right);
                }
                Expr::Nested(inner) => conjuncts.push(inner),
                Expr::IsNotNull(x) => rejects.push(x.as_ref()),
                Expr::BinaryOp {
                    left,
                    op:
                        BinaryOperator::Eq
                        | BinaryOperator::NotEq
                        | BinaryOperator::Lt
                        | BinaryOperator::LtEq
                        | BinaryOperator::Gt
                        | BinaryOperator::GtEq,
                    right,
                } => {
                    rejects.push(left);
                    rejects.push(right);
                }
                _ => {}
            }
        }
        for x in rejects {
            if let Some((r, c)) = self.locate(x, scope) {
                let rel = &mut scope.rels[r];
                rel.outer = None;
                rel.cols[c].null = Null::No;
            }
        }
        Ok(())
    }

    /// The relation and column a plain column reference names in `scope`.
    fn locate(&self, e: &Expr, scope: &Scope) -> Option<(usize, usize)> {
        let (rel, col) = match e {
            Expr::Identifier(c) => (None, ident(c)),
            Expr::CompoundIdentifier(p) if p.len() == 2 => (Some(ident(&p[0])), ident(&p[1])),
            Expr::Nested(inner) => return self.locate(inner, scope),
            _ => return None,
        };
        let mut found = scope.rels.iter().enumerate().filter_map(|(i, r)| {
            if rel.as_ref().is_some_and(|n| *n != r.name) {
                return None;
            }
            r.cols.iter().position(|c| c.name == col).map(|c| (i, c))
        });
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    fn from(&mut self, from: &[TableWithJoins]) -> Result<Scope, Diag> {
        let mut scope = Scope { rels: Vec::new(), complete: true };
        for twj in from {
            self.table_with_joins(twj, &mut scope)?;
        }
        Ok(scope)
    }

    fn table_with_joins(&mut self, twj: &TableWithJoins, scope: &mut Scope) -> Result<(), Diag> {
        let start = scope.rels.len();
        self.factor(&twj.relation, scope)?;
        for join in &twj.joins {
            self.join(join, start, scope)?;
        }
        Ok(())
    }

    /// One join of the FROM item whose relations begin at `start` (a comma binds looser than
    /// a join: the relations before it are not its sides).
    fn join(&mut self, join: &Join, start: usize, scope: &mut Scope) -> Result<(), Diag> {
        let before = scope.rels.len();
        self.factor(&join.relation, scope)?;
        let (left_outer, right_outer, constraint, kind) = match &join.join_operator {
            JoinOperator::Join(c) | JoinOperator::Inner(c) => (false, false, Some(c), "JOIN"),
            JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => {
                (false, true, Some(c), "LEFT JOIN")
            }
            JoinOperator::Right(c) | JoinOperator::RightOuter(c) => {
                (true, false, Some(c), "RIGHT JOIN")
            }
            JoinOperator::FullOuter(c) => (true, true, Some(c), "FULL JOIN"),
            JoinOperator::CrossJoin(c) => (false, false, Some(c), "CROSS JOIN"),
            _ => {
                scope.complete = false;
                for r in &mut scope.rels[before..] {
                    r.known = false;
                }
                return Ok(());
            }
        };
        let mut using_merged = None;
        match constraint {
            // An inner join's condition rejects the NULLs it compares, as WHERE does.
            Some(JoinConstraint::On(on)) if !left_outer && !right_outer => {
                self.narrow(scope, Some(on))?;
            }
            Some(JoinConstraint::On(on)) => {
                self.expr(on, scope)?;
            }
            Some(JoinConstraint::None) | None => {}
            Some(JoinConstraint::Using(names)) => {
                if let Some(merged) = using(scope, start, before, names, left_outer, right_outer) {
                    using_merged = Some(merged);
                } else {
                    scope.complete = false;
                    for r in &mut scope.rels[before..] {
                        r.known = false;
                    }
                }
            }
            // NATURAL merges the columns the sides share: not modelled.
            Some(_) => {
                scope.complete = false;
                for r in &mut scope.rels[before..] {
                    r.known = false;
                }
            }
        }
        let joined: Vec<String> = scope.rels[before..].iter().map(|r| r.label.clone()).collect();
        if right_outer {
            for r in &mut scope.rels[before..] {
                r.outer.get_or_insert_with(|| {
                    format!(
                        "the {kind} of {} leaves its columns NULL where no row matches",
                        r.label
                    )
                });
            }
        }
        if left_outer {
            for r in &mut scope.rels[start..before] {
                r.outer.get_or_insert_with(|| {
                    format!(
                        "the {kind} of {} leaves the columns of {} NULL where no row of it matches",
                        joined.join(", "),
                        r.label
                    )
                });
            }
        }
        // `*` lists the merged columns first.
        if let Some(merged) = using_merged {
            scope.rels.insert(start, merged);
        }
        Ok(())
    }

    fn factor(&mut self, f: &TableFactor, scope: &mut Scope) -> Result<(), Diag> {
        match f {
            TableFactor::Table { name, alias, args: None, .. } => {
                let table = object_name(name).join(".");
                // Where it is, in a statement of several lines.
                let line =
                    name.0.first().and_then(|p| p.as_ident()).map_or(0, |i| i.span.start.line);
                let at = if line > 1 { format!(" on line {line}") } else { String::new() };
                let (rel_name, label) = match alias {
                    Some(a) => (ident(&a.name), format!("`{table}` (as `{}`){at}", ident(&a.name))),
                    None => (
                        object_name(name).last().cloned().unwrap_or_default(),
                        format!("`{table}`{at}"),
                    ),
                };
                let cols = self.table(name)?;
                push_rel(scope, rel_name, label, cols, alias);
            }
            TableFactor::Derived { lateral, subquery, alias, .. } => {
                if *lateral {
                    self.outer.push(Scope { rels: scope.rels.clone(), complete: scope.complete });
                }
                let cols = self.query(subquery);
                if *lateral {
                    self.outer.pop();
                }
                let name = alias.as_ref().map(|a| ident(&a.name)).unwrap_or_default();
                let label = format!("the subquery `{name}`");
                push_rel(scope, name, label, cols?, alias);
            }
            TableFactor::NestedJoin { table_with_joins, alias } => {
                let mut inner = Scope { rels: Vec::new(), complete: scope.complete };
                self.table_with_joins(table_with_joins, &mut inner)?;
                scope.complete &= inner.complete;
                if alias.is_some() {
                    // An aliased join hides the names inside it: not modelled.
                    scope.complete = false;
                    let name = alias.as_ref().map(|a| ident(&a.name)).unwrap_or_default();
                    scope.rels.push(Rel::new(name.clone(), format!("`{name}`"), Vec::new(), false));
                } else {
                    scope.rels.extend(inner.rels);
                }
            }
            TableFactor::Table { name, alias, args: Some(args), with_ordinality, .. } => {
                let (fname, exprs) = function_call(name, &args.args);
                self.set_returning_factor(&fname, &exprs, alias, *with_ordinality, scope)?;
            }
            TableFactor::Function { name, args, with_ordinality, alias, .. } => {
                let (fname, exprs) = function_call(name, args);
                self.set_returning_factor(&fname, &exprs, alias, *with_ordinality, scope)?;
            }
            TableFactor::UNNEST {
                alias, array_exprs, with_ordinality, with_offset: false, ..
            } => {
                let exprs: Vec<&Expr> = array_exprs.iter().collect();
                self.set_returning_factor("unnest", &exprs, alias, *with_ordinality, scope)?;
            }
            other => {
                // Other table functions, …: their columns are not modelled.
                let name = match other {
                    TableFactor::Function { alias, .. }
                    | TableFactor::UNNEST { alias, .. }
                    | TableFactor::Table { alias, .. } => {
                        alias.as_ref().map(|a| ident(&a.name)).unwrap_or_default()
                    }
                    _ => String::new(),
                };
                scope.complete = false;
                scope.rels.push(Rel::new(name.clone(), format!("`{name}`"), Vec::new(), false));
            }
        }
        Ok(())
    }

    /// A set-returning function in FROM (arguments may name the relations before it): its
    /// columns where modelled, named by the alias for one that returns a scalar.
    fn set_returning_factor(
        &mut self,
        fname: &str,
        exprs: &[&Expr],
        alias: &Option<TableAlias>,
        with_ordinality: bool,
        scope: &mut Scope,
    ) -> Result<(), Diag> {
        let mut args = Vec::new();
        for e in exprs {
            args.push(self.expr(e, scope)?);
        }
        let rel_name = alias.as_ref().map_or_else(|| fname.to_owned(), |a| ident(&a.name));
        let cols = expr::set_returning(fname, &args).map(|(mut cols, scalar)| {
            if let (true, [c], Some(a)) = (scalar, cols.as_mut_slice(), alias) {
                c.name = ident(&a.name);
            }
            if with_ordinality {
                cols.push(Col { name: "ordinality".to_owned(), ty: known("int8"), null: Null::No });
            }
            cols
        });
        let label = format!("`{fname}(…)`");
        push_rel(scope, rel_name, label, cols, alias);
        Ok(())
    }

    fn projection(
        &mut self,
        items: &[SelectItem],
        scope: &Scope,
        grouped: bool,
    ) -> Result<Option<Vec<Col>>, Diag> {
        let mut out = Vec::new();
        let mut whole = true;
        for item in items {
            match item {
                SelectItem::UnnamedExpr(e) => {
                    let (ty, null) = self.aggregate_aware(e, scope, grouped)?;
                    out.push(resolve_literal(Col { name: output_name(e), ty, null }));
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let (ty, null) = self.aggregate_aware(expr, scope, grouped)?;
                    out.push(resolve_literal(Col { name: ident(alias), ty, null }));
                }
                SelectItem::Wildcard(opts) => {
                    if opts_used(opts) || scope.rels.iter().any(|r| !r.known) {
                        whole = false;
                        continue;
                    }
                    for r in &scope.rels {
                        let shown = r.cols.iter().filter(|c| !r.hidden.contains(&c.name));
                        out.extend(shown.map(|c| through(r, c)));
                    }
                }
                SelectItem::QualifiedWildcard(kind, opts) => {
                    let SelectItemQualifiedWildcardKind::ObjectName(name) = kind else {
                        whole = false;
                        continue;
                    };
                    let parts = object_name(name);
                    let Some(last) = parts.last() else { return Ok(None) };
                    match scope.rels.iter().find(|r| r.name == *last) {
                        Some(r) if r.known && !opts_used(opts) => {
                            out.extend(r.cols.iter().map(|c| through(r, c)));
                        }
                        Some(_) => whole = false,
                        None if scope.complete => {
                            return Err(self.no_relation(last, scope));
                        }
                        None => whole = false,
                    }
                }
                _ => whole = false,
            }
        }
        Ok(whole.then_some(out))
    }

    fn no_relation(&self, name: &str, scope: &Scope) -> Diag {
        let names: Vec<&str> = scope.rels.iter().map(|r| r.name.as_str()).collect();
        Diag::new(
            format!("no table or alias `{name}` in this statement's FROM"),
            format!(
                "{}the FROM names {}",
                did_you_mean(name, names.iter().copied()),
                crate::diag::list(names.iter().copied())
            ),
        )
    }

    /// Like `expr`, and an aggregate without GROUP BY runs over possibly no rows.
    fn aggregate_aware(
        &mut self,
        e: &Expr,
        scope: &Scope,
        grouped: bool,
    ) -> Result<(Option<String>, Null), Diag> {
        let (ty, null) = self.expr(e, scope)?;
        if !grouped
            && let Expr::Function(f) = e
            && f.over.is_none()
        {
            let name = object_name(&f.name).last().cloned().unwrap_or_default();
            if AGGREGATES_NULL_ON_EMPTY.contains(&name.as_str()) {
                return Ok((ty, Null::Yes(format!("`{name}(…)` is NULL over no rows"))));
            }
        }
        Ok((ty, null))
    }

    fn column(&self, e: &Expr, scope: &Scope) -> Result<(Option<String>, Null), Diag> {
        let (rel, col) = match e {
            Expr::Identifier(c) => (None, ident(c)),
            Expr::CompoundIdentifier(p) => match p.as_slice() {
                [r, c] => (Some(ident(r)), ident(c)),
                _ => return Ok((None, Null::Unknown)),
            },
            _ => return Ok((None, Null::Unknown)),
        };
        let scopes = std::iter::once(scope).chain(self.outer.iter().rev());
        let mut complete = true;
        for s in scopes {
            complete &= s.complete;
            let candidates: Vec<(&Rel, &Col)> = s
                .rels
                .iter()
                .filter(|r| rel.as_ref().is_none_or(|n| *n == r.name))
                .flat_map(|r| {
                    let reach = |c: &&Col| rel.is_some() || !r.hidden.contains(&c.name);
                    r.cols.iter().filter(|c| c.name == col).filter(reach).map(move |c| (r, c))
                })
                .collect();
            match candidates.as_slice() {
                [(r, c)] => {
                    let c = through(r, c);
                    return Ok((c.ty, c.null));
                }
                [] => {
                    if let Some(n) = &rel
                        && let Some(r) = s.rels.iter().find(|r| r.name == *n)
                    {
                        if r.known {
                            let names = r.cols.iter().map(|c| c.name.as_str());
                            return Err(Diag::new(
                                format!("no column `{col}` in `{n}`"),
                                format!(
                                    "{}`{n}` has {}",
                                    did_you_mean(&col, names.clone()),
                                    crate::diag::list(names)
                                ),
                            ));
                        }
                        return Ok((None, Null::Unknown));
                    }
                }
                _ => return Ok((None, Null::Unknown)),
            }
        }
        if !complete {
            return Ok((None, Null::Unknown));
        }
        match rel {
            Some(n) => Err(self.no_relation(&n, scope)),
            None if scope.rels.iter().any(|r| r.name == col)
                || NO_PAREN_FUNCTIONS.contains(&col.as_str()) =>
            {
                Ok((None, Null::Unknown))
            }
            None => {
                let all = scope.rels.iter().flat_map(|r| r.cols.iter().map(|c| c.name.as_str()));
                let hint = did_you_mean(&col, all);
                let tables: Vec<&str> = scope.rels.iter().map(|r| r.name.as_str()).collect();
                Err(Diag::new(
                    format!(
                        "no column `{col}` in {}",
                        if tables.is_empty() {
                            "this statement (it has no FROM)".to_owned()
                        } else {
                            crate::diag::list(tables.iter().copied())
                        }
                    ),
                    format!("{hint}check the column's name against the migrations"),
                ))
            }
        }
    }
}

/// Adds a relation to `scope`: its columns (renamed by the alias's column list), or, where they
/// are not known, a relation that makes every unqualified name possible.
fn push_rel(
    scope: &mut Scope,
    name: String,
    label: String,
    cols: Option<Vec<Col>>,
    alias: &Option<TableAlias>,
) {
    match cols {
        Some(mut cols) => {
            if let Some(a) = alias {
                for (c, n) in cols.iter_mut().zip(&a.columns) {
                    c.name = ident(&n.name);
                }
            }
            scope.rels.push(Rel::new(name, label, cols, true));
        }
        None => {
            scope.complete = false;
            scope.rels.push(Rel::new(name, label, Vec::new(), false));
        }
    }
}

/// A single SELECT of aggregates only, with no GROUP BY, HAVING, LIMIT or OFFSET: exactly one
/// row, whatever it reads.
fn always_one_row(q: &Query) -> bool {
    let SetExpr::Select(s) = q.body.as_ref() else { return false };
    let grouped = match &s.group_by {
        GroupByExpr::Expressions(e, _) => !e.is_empty(),
        GroupByExpr::All(_) => true,
    };
    q.limit_clause.is_none()
        && q.fetch.is_none()
        && !grouped
        && s.having.is_none()
        && s.projection.iter().all(|item| match item {
            SelectItem::UnnamedExpr(Expr::Function(f))
            | SelectItem::ExprWithAlias { expr: Expr::Function(f), .. } => {
                f.over.is_none()
                    && object_name(&f.name).last().is_some_and(|n| {
                        n == "count" || AGGREGATES_NULL_ON_EMPTY.contains(&n.as_str())
                    })
            }
            _ => false,
        })
}

/// Aggregates that return NULL when they see no row.
const AGGREGATES_NULL_ON_EMPTY: &[&str] = &[
    "sum",
    "avg",
    "min",
    "max",
    "bool_and",
    "bool_or",
    "every",
    "array_agg",
    "string_agg",
    "json_agg",
    "jsonb_agg",
];

/// Names PostgreSQL reads as functions without parentheses.
const NO_PAREN_FUNCTIONS: &[&str] = &[
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "current_user",
    "session_user",
    "current_role",
    "current_catalog",
    "current_schema",
    "user",
];

fn opts_used(opts: &sqlparser::ast::WildcardAdditionalOptions) -> bool {
    opts.opt_exclude.is_some()
        || opts.opt_except.is_some()
        || opts.opt_replace.is_some()
        || opts.opt_rename.is_some()
        || opts.opt_ilike.is_some()
}

fn merge_type(ty: &mut Option<String>, agree: &mut bool, next: Option<String>) {
    match (ty.as_deref(), next) {
        (_, None) => *agree = false,
        (None, Some(t)) => *ty = Some(t),
        (Some(LITERAL), Some(t)) => *ty = Some(t),
        (Some(_), Some(t)) if t == LITERAL => {}
        (Some(a), Some(t)) => match (numeric_rank(a), numeric_rank(&t)) {
            // Numbers resolve to the type every other one converts to (int4, numeric →
            // numeric), as PostgreSQL does for CASE, COALESCE and UNION.
            (Some(x), Some(y)) if y > x => *ty = Some(t),
            (Some(_), Some(_)) => {}
            _ if a != t => *agree = false,
            _ => {}
        },
    }
}

/// A column read through its relation: NULL everywhere on the nullable side of an outer join.
/// A function in FROM: its name (without its schema), and its arguments, when all are plain
/// expressions (an empty name otherwise, which no modelled function has).
fn function_call<'e>(name: &ObjectName, args: &'e [FunctionArg]) -> (String, Vec<&'e Expr>) {
    let exprs: Vec<&Expr> = args
        .iter()
        .filter_map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect();
    let parts = object_name(name);
    let fname = match parts.as_slice() {
        [n] | [_, n] if exprs.len() == args.len() => n.clone(),
        _ => String::new(),
    };
    (fname, exprs)
}

/// `SELECT … FROM UNNEST(…) [AS alias(…)]` with nothing else in FROM: the select, UNNEST's
/// arguments and the alias.
pub(super) fn unnest_select(q: &Query) -> Option<(&Select, Vec<&Expr>, Option<&TableAlias>)> {
    let SetExpr::Select(select) = q.body.as_ref() else { return None };
    let [from] = select.from.as_slice() else { return None };
    if !from.joins.is_empty() {
        return None;
    }
    let (exprs, alias) = match &from.relation {
        TableFactor::UNNEST { alias, array_exprs, with_ordinality: false, .. } => {
            (array_exprs.iter().collect(), alias.as_ref())
        }
        TableFactor::Function { name, args, alias, .. } => {
            let (f, exprs) = function_call(name, args);
            (f.eq_ignore_ascii_case("unnest").then_some(exprs)?, alias.as_ref())
        }
        TableFactor::Table { name, alias, args: Some(args), .. } => {
            let (f, exprs) = function_call(name, &args.args);
            (f.eq_ignore_ascii_case("unnest").then_some(exprs)?, alias.as_ref())
        }
        _ => return None,
    };
    Some((select, exprs, alias))
}

/// `JOIN … USING (c, …)`: the relation of the merged columns (the left side's column for
/// an inner or left join, the right side's for a right join, the first not NULL of the two for
/// a full join), hiding the sides' own from unqualified names; `None` when a name is not found
/// once on each side.
fn using(
    scope: &mut Scope,
    start: usize,
    before: usize,
    names: &[ObjectName],
    left_outer: bool,
    right_outer: bool,
) -> Option<Rel> {
    let mut merged = Vec::new();
    let mut sides = Vec::new();
    for n in names {
        let [name] = <[String; 1]>::try_from(object_name(n)).ok()?;
        let find = |range: std::ops::Range<usize>| {
            let mut found = scope.rels[range.clone()].iter().enumerate().flat_map(|(i, r)| {
                let at = range.start + i;
                r.cols.iter().filter(|c| c.name == name).map(move |c| (at, through(r, c)))
            });
            match (found.next(), found.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        };
        let (l, lc) = find(start..before)?;
        let (r, rc) = find(before..scope.rels.len())?;
        let ty = if lc.ty == rc.ty { lc.ty.clone() } else { None };
        let null = match (left_outer, right_outer) {
            // The equality rejects NULL on both sides.
            (false, false) => Null::No,
            (false, true) => lc.null.clone(),
            (true, false) => rc.null.clone(),
            (true, true) if lc.null == Null::No || rc.null == Null::No => Null::No,
            (true, true) => strict(&[&lc.null, &rc.null]),
        };
        merged.push(Col { name: name.clone(), ty, null });
        sides.push((l, r, name));
    }
    for (l, r, name) in sides {
        scope.rels[l].hidden.push(name.clone());
        scope.rels[r].hidden.push(name);
    }
    Some(Rel::new(String::new(), "the USING columns".to_owned(), merged, true))
}

fn through(r: &Rel, c: &Col) -> Col {
    let null = match (&r.outer, &c.null) {
        (Some(why), Null::No | Null::Unknown) => Null::Yes(why.clone()),
        (_, n) => n.clone(),
    };
    Col { name: c.name.clone(), ty: c.ty.clone(), null }
}

fn resolve_literal(c: Col) -> Col {
    if c.ty.as_deref() == Some(LITERAL) { Col { ty: known("text"), ..c } } else { c }
}

/// The name PostgreSQL gives an unaliased result column.
fn output_name(e: &Expr) -> String {
    match e {
        Expr::Identifier(i) => ident(i),
        Expr::CompoundIdentifier(p) => p.last().map(ident).unwrap_or_default(),
        Expr::Nested(inner) => output_name(inner),
        Expr::Cast { expr, data_type, .. } => match output_name(expr).as_str() {
            "?column?" => data_type_name(data_type),
            n => n.to_owned(),
        },
        Expr::Function(f) => object_name(&f.name).last().cloned().unwrap_or_default(),
        Expr::Case { .. } => "case".to_owned(),
        Expr::Exists { .. } => "exists".to_owned(),
        Expr::Array(_) => "array".to_owned(),
        _ => "?column?".to_owned(),
    }
}

fn data_type_name(t: &DataType) -> String {
    let s = t.to_string().to_lowercase();
    match s.as_str() {
        "int" | "integer" => "int4".to_owned(),
        "bigint" => "int8".to_owned(),
        "smallint" => "int2".to_owned(),
        _ => s,
    }
}

/// The result columns of `statement`, `None` where its shape is not modelled; `Err` for a
/// name that cannot resolve.
/// What a statement takes and gives, as far as the catalog decides it.
pub(crate) struct Typed {
    /// The result columns, `None` where the statement's shape is not modelled.
    pub columns: Option<Vec<Col>>,
    /// `$n` → the type PostgreSQL gives it and what decided it, where the context says.
    pub params: std::collections::BTreeMap<usize, (String, String)>,
    /// `$n` → the NOT NULL column it is written into directly.
    pub not_null: std::collections::BTreeMap<usize, String>,
}

/// Types the statement's result columns and parameters.
pub(crate) fn typed(catalog: &Catalog, statement: &Statement) -> Result<Typed, Diag> {
    let mut infer = Infer {
        catalog,
        ctes: Vec::new(),
        outer: Vec::new(),
        params: Default::default(),
        not_null: Default::default(),
        bad_label: None,
    };
    let columns = infer.statement(statement)?;
    if let Some(bad) = infer.bad_label {
        return Err(bad);
    }
    Ok(Typed { columns, params: infer.params, not_null: infer.not_null })
}

mod expr;
#[cfg(test)]
mod tests;
