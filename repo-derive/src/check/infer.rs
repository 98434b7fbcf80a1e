//! The type and nullability of each column a statement returns, from the catalog of the
//! migrations alone (no database): names resolved through tables, aliases, joins, CTEs and
//! subqueries; types through columns, literals, casts, operators and common functions;
//! nullability through NOT NULL, outer joins, aggregates over no rows and strict operators.
//!
//! It never guesses: what it cannot decide (an unknown function, an operator on types it does
//! not model) is `None`, which the check leaves to `verify()`. An unknown table or column is an
//! error only where it is certain (every relation in reach is known).

use sqlparser::ast::{
    BinaryOperator, CastKind, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
    GroupByExpr, Ident, Join, JoinConstraint, JoinOperator, ObjectName, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, Statement, TableFactor, TableObject, TableWithJoins,
    UnaryOperator, Value,
};

use super::schema::{Catalog, normalize_type};
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
}

impl Rel {
    fn new(name: String, label: String, cols: Vec<Col>, known: bool) -> Self {
        Self { name, label, cols, known, outer: None }
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
}

fn is_param_arg(a: &FunctionArgExpr) -> bool {
    matches!(a, FunctionArgExpr::Expr(e) if param_number(e).is_some())
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

fn function_args(f: &sqlparser::ast::Function) -> Option<Vec<&FunctionArgExpr>> {
    match &f.args {
        FunctionArguments::None => Some(Vec::new()),
        FunctionArguments::List(l) => Some(
            l.args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(e)
                    | FunctionArg::Named { arg: e, .. }
                    | FunctionArg::ExprNamed { arg: e, .. } => e,
                })
                .collect(),
        ),
        FunctionArguments::Subquery(_) => None,
    }
}

impl Infer<'_> {
    /// Notes that `$n` (if `e` is one) takes `ty`, as the first context PostgreSQL sees decides.
    fn param(&mut self, e: &Expr, ty: Option<&str>, because: impl FnOnce() -> String) {
        if let (Some(n), Some(ty)) = (param_number(e), ty)
            && ty != LITERAL
        {
            self.params.entry(n).or_insert_with(|| (ty.to_owned(), because()));
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
        self.factor(&twj.relation, scope)?;
        for join in &twj.joins {
            self.join(join, scope)?;
        }
        Ok(())
    }

    fn join(&mut self, join: &Join, scope: &mut Scope) -> Result<(), Diag> {
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
        match constraint {
            // An inner join's condition rejects the NULLs it compares, as WHERE does.
            Some(JoinConstraint::On(on)) if !left_outer && !right_outer => {
                self.narrow(scope, Some(on))?;
            }
            Some(JoinConstraint::On(on)) => {
                self.expr(on, scope)?;
            }
            Some(JoinConstraint::None) | None => {}
            // USING and NATURAL merge columns, which `*` would then list once: not modelled.
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
            for r in &mut scope.rels[..before] {
                r.outer.get_or_insert_with(|| {
                    format!(
                        "the {kind} of {} leaves the columns of {} NULL where no row of it matches",
                        joined.join(", "),
                        r.label
                    )
                });
            }
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
            other => {
                // Set-returning functions, UNNEST, …: their columns are not modelled.
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
                        out.extend(r.cols.iter().map(|c| through(r, c)));
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
                .flat_map(|r| r.cols.iter().filter(|c| c.name == col).map(move |c| (r, c)))
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

    fn expr(&mut self, e: &Expr, scope: &Scope) -> Result<(Option<String>, Null), Diag> {
        let unknown = || Ok((None, Null::Unknown));
        match e {
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => self.column(e, scope),
            Expr::Nested(inner) => self.expr(inner, scope),
            Expr::Value(v) => Ok(match &v.value {
                Value::Number(n, _) => {
                    let ty = if n.parse::<i32>().is_ok() {
                        "int4"
                    } else if n.parse::<i64>().is_ok() {
                        "int8"
                    } else {
                        "numeric"
                    };
                    (known(ty), Null::No)
                }
                Value::SingleQuotedString(_)
                | Value::EscapedStringLiteral(_)
                | Value::DollarQuotedString(_) => (known(LITERAL), Null::No),
                Value::Boolean(_) => (known("bool"), Null::No),
                Value::Null => (known(LITERAL), Null::Yes("it is the NULL literal".to_owned())),
                _ => (None, Null::Unknown),
            }),
            Expr::Cast { kind, expr, data_type, .. } => {
                let (_, null) = self.expr(expr, scope)?;
                if matches!(kind, CastKind::TryCast | CastKind::SafeCast) {
                    return unknown();
                }
                let ty = self.cast_type(data_type);
                self.param(expr, ty.as_deref(), || format!("it is cast to `{data_type}`"));
                Ok((ty, null))
            }
            Expr::TypedString(t) => Ok((self.cast_type(&t.data_type), Null::No)),
            Expr::UnaryOp { op, expr } => {
                let (ty, null) = self.expr(expr, scope)?;
                Ok(match op {
                    UnaryOperator::Not => (known("bool"), null),
                    UnaryOperator::Minus | UnaryOperator::Plus
                        if ty.as_deref().and_then(numeric_rank).is_some() =>
                    {
                        (ty, null)
                    }
                    _ => (None, null),
                })
            }
            Expr::BinaryOp { left, op, right } => {
                let (lt, ln) = self.expr(left, scope)?;
                let (rt, rn) = self.expr(right, scope)?;
                if !matches!(op, BinaryOperator::And | BinaryOperator::Or) {
                    self.param(left, rt.as_deref(), || format!("it is compared with `{right}`"));
                    self.param(right, lt.as_deref(), || format!("it is compared with `{left}`"));
                }
                let null = strict(&[&ln, &rn]);
                use BinaryOperator as B;
                Ok(match op {
                    B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq | B::And | B::Or => {
                        (known("bool"), null)
                    }
                    B::Plus | B::Minus => {
                        let minus = matches!(op, B::Minus);
                        let ty = arithmetic(lt.as_deref(), rt.as_deref())
                            .or_else(|| temporal(minus, lt.as_deref(), rt.as_deref()));
                        (ty, null)
                    }
                    B::Multiply | B::Divide | B::Modulo => {
                        (arithmetic(lt.as_deref(), rt.as_deref()), null)
                    }
                    B::StringConcat => match (lt.as_deref(), rt.as_deref()) {
                        (Some("text" | LITERAL), Some("text" | LITERAL)) => (known("text"), null),
                        _ => (None, null),
                    },
                    // `->>` and `->` give NULL for a key that is not there.
                    B::LongArrow | B::HashLongArrow => (
                        known("text"),
                        Null::Yes("`->>` is NULL where the key is missing".to_owned()),
                    ),
                    B::Arrow | B::HashArrow => match lt.as_deref() {
                        Some(t @ ("json" | "jsonb")) => (
                            known(t),
                            Null::Yes("`->` is NULL where the key is missing".to_owned()),
                        ),
                        _ => (None, Null::Unknown),
                    },
                    B::AtArrow | B::ArrowAt | B::Question | B::QuestionAnd | B::QuestionPipe => {
                        (known("bool"), null)
                    }
                    _ => (None, Null::Unknown),
                })
            }
            Expr::IsNull(x) | Expr::IsNotNull(x) => {
                self.expr(x, scope)?;
                Ok((known("bool"), Null::No))
            }
            Expr::IsTrue(x)
            | Expr::IsFalse(x)
            | Expr::IsNotTrue(x)
            | Expr::IsNotFalse(x)
            | Expr::IsUnknown(x)
            | Expr::IsNotUnknown(x) => {
                self.expr(x, scope)?;
                Ok((known("bool"), Null::No))
            }
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
                self.expr(a, scope)?;
                self.expr(b, scope)?;
                Ok((known("bool"), Null::No))
            }
            Expr::In { expr, target: sqlparser::ast::InTarget::List(list), .. } => {
                let (ty, null) = self.expr(expr, scope)?;
                let mut nulls = vec![null];
                for x in list {
                    nulls.push(self.expr(x, scope)?.1);
                    self.param(x, ty.as_deref(), || {
                        format!("it is in a list compared with `{expr}`")
                    });
                }
                Ok((known("bool"), strict(&nulls.iter().collect::<Vec<_>>())))
            }
            Expr::In { expr, target: sqlparser::ast::InTarget::Subquery(subquery), .. } => {
                self.expr(expr, scope)?;
                self.subquery(subquery, scope)?;
                unknown()
            }
            Expr::Between { expr, low, high, .. } => {
                let (ty, a) = self.expr(expr, scope)?;
                for bound in [low, high] {
                    self.param(bound, ty.as_deref(), || format!("it bounds `{expr}`"));
                }
                let b = self.expr(low, scope)?.1;
                let c = self.expr(high, scope)?.1;
                Ok((known("bool"), strict(&[&a, &b, &c])))
            }
            Expr::Like { expr, pattern, .. }
            | Expr::ILike { expr, pattern, .. }
            | Expr::SimilarTo { expr, pattern, .. } => {
                let a = self.expr(expr, scope)?.1;
                let b = self.expr(pattern, scope)?.1;
                self.param(pattern, Some("text"), || "it is a pattern".to_owned());
                Ok((known("bool"), strict(&[&a, &b])))
            }
            Expr::AnyOp { left, right, .. } | Expr::AllOp { left, right, .. } => {
                let (ty, a) = self.expr(left, scope)?;
                let b = self.expr(right, scope)?.1;
                let array =
                    ty.filter(|t| t != LITERAL && !t.ends_with("[]")).map(|t| format!("{t}[]"));
                self.param(right, array.as_deref(), || {
                    format!("it is the array `{left}` is compared with")
                });
                // An array holding NULL makes ANY/ALL NULL too.
                let b = if b == Null::No { Null::Unknown } else { b };
                Ok((known("bool"), strict(&[&a, &b])))
            }
            Expr::Exists { subquery, .. } => {
                self.subquery(subquery, scope)?;
                Ok((known("bool"), Null::No))
            }
            Expr::Subquery(q) => Ok(match self.subquery(q, scope)? {
                // An aggregate without GROUP BY always returns its one row.
                Some(cols) if cols.len() == 1 && always_one_row(q) => {
                    (cols[0].ty.clone(), cols[0].null.clone())
                }
                Some(cols) if cols.len() == 1 => (
                    cols[0].ty.clone(),
                    Null::Yes("a scalar subquery is NULL when it finds no row".to_owned()),
                ),
                _ => (None, Null::Unknown),
            }),
            Expr::Case { operand, conditions, else_result, .. } => {
                if let Some(o) = operand {
                    self.expr(o, scope)?;
                }
                let mut ty: Option<String> = None;
                let mut types_agree = true;
                let mut nulls = Vec::new();
                for w in conditions {
                    self.expr(&w.condition, scope)?;
                    let (t, n) = self.expr(&w.result, scope)?;
                    merge_type(&mut ty, &mut types_agree, t);
                    nulls.push(n);
                }
                match else_result {
                    Some(x) => {
                        let (t, n) = self.expr(x, scope)?;
                        merge_type(&mut ty, &mut types_agree, t);
                        nulls.push(n);
                    }
                    None => nulls.push(Null::Yes("the CASE has no ELSE".to_owned())),
                }
                let ty = if types_agree {
                    ty.map(|t| if t == LITERAL { "text".into() } else { t })
                } else {
                    None
                };
                Ok((ty, strict(&nulls.iter().collect::<Vec<_>>())))
            }
            Expr::Function(f) => self.function(f, scope),
            Expr::Array(a) => {
                let mut ty: Option<String> = None;
                let mut agree = true;
                for x in &a.elem {
                    let (t, _) = self.expr(x, scope)?;
                    merge_type(&mut ty, &mut agree, t);
                }
                let ty = ty.filter(|t| agree && t != LITERAL && !t.ends_with("[]"));
                Ok((ty.map(|t| format!("{t}[]")), Null::No))
            }
            Expr::Extract { expr, .. } => {
                let (_, n) = self.expr(expr, scope)?;
                Ok((known("numeric"), n))
            }
            Expr::Substring { expr, .. } => {
                let (t, n) = self.expr(expr, scope)?;
                Ok((t.filter(|t| t == "text" || t == LITERAL).map(|_| "text".to_owned()), n))
            }
            Expr::Trim { expr, .. } => {
                let (t, n) = self.expr(expr, scope)?;
                Ok((t.filter(|t| t == "text" || t == LITERAL).map(|_| "text".to_owned()), n))
            }
            Expr::Interval(_) => Ok((known("interval"), Null::No)),
            Expr::Position { expr, r#in } => {
                let a = self.expr(expr, scope)?.1;
                let b = self.expr(r#in, scope)?.1;
                Ok((known("int4"), strict(&[&a, &b])))
            }
            _ => unknown(),
        }
    }

    /// Parameters among the arguments of COALESCE, GREATEST or LEAST take the other
    /// arguments' common type.
    fn common_params(&mut self, args: &[&FunctionArgExpr], ty: Option<&str>, name: &str) {
        for a in args {
            if let FunctionArgExpr::Expr(e) = a {
                self.param(e, ty, || format!("it is an argument of `{name}` with that type"));
            }
        }
    }

    fn subquery(&mut self, q: &Query, scope: &Scope) -> Result<Option<Vec<Col>>, Diag> {
        self.outer.push(Scope { rels: scope.rels.clone(), complete: scope.complete });
        let out = self.query(q);
        self.outer.pop();
        out
    }

    fn cast_type(&self, data_type: &DataType) -> Option<String> {
        let ty = normalize_type(data_type, &self.catalog.enums);
        let unqualified = ty.strip_prefix("public.").unwrap_or(&ty);
        if let Some((base, _)) = self.catalog.domains.get(unqualified) {
            return Some(base.clone());
        }
        let base = ty.trim_end_matches("[]");
        let modelled = numeric_rank(base).is_some()
            || base.starts_with("enum:")
            || matches!(
                base,
                "text"
                    | "bool"
                    | "bytea"
                    | "timestamptz"
                    | "timestamp"
                    | "date"
                    | "time"
                    | "uuid"
                    | "json"
                    | "jsonb"
                    | "interval"
            );
        modelled.then_some(ty)
    }

    fn function(
        &mut self,
        f: &sqlparser::ast::Function,
        scope: &Scope,
    ) -> Result<(Option<String>, Null), Diag> {
        let parts = object_name(&f.name);
        let name = match parts.as_slice() {
            [n] => n.as_str(),
            [s, n] if s == "pg_catalog" => n.as_str(),
            _ => return Ok((None, Null::Unknown)),
        };
        let Some(arg_exprs) = function_args(f) else { return Ok((None, Null::Unknown)) };
        let mut args = Vec::new();
        for a in &arg_exprs {
            args.push(match a {
                FunctionArgExpr::Expr(e) => self.expr(e, scope)?,
                _ => (None, Null::No),
            });
        }
        if let Some(filter) = &f.filter {
            self.expr(filter, scope)?;
        }
        let ty0 = args.first().and_then(|a| a.0.clone());
        let t0 = ty0.as_deref();
        let nulls: Vec<&Null> = args.iter().map(|a| &a.1).collect();
        let windowed = f.over.is_some();
        // The default frame holds the current row, so a window aggregate sees one row at least.
        let own_row = matches!(
            &f.over,
            Some(sqlparser::ast::WindowType::WindowSpec(w))
                if w.window_frame.is_none() && w.window_name.is_none()
        );
        let filtered = f.filter.is_some();
        let agg_null = |n: Null| {
            if filtered {
                Null::Yes(format!("`{name}(…) FILTER (…)` is NULL where no row passes the filter"))
            } else if windowed && !own_row {
                Null::Unknown
            } else {
                n
            }
        };
        let text = known("text");
        Ok(match name {
            "count" => (known("int8"), Null::No),
            "row_number" | "rank" | "dense_rank" | "ntile" if windowed => (known("int8"), Null::No),
            "percent_rank" | "cume_dist" if windowed => (known("float8"), Null::No),
            // The frame always holds the current row.
            "first_value" | "last_value" if windowed => (
                ty0.filter(|t| t != LITERAL),
                nulls.first().map_or(Null::Unknown, |n| (*n).clone()),
            ),
            "lag" | "lead" if windowed => {
                let null = match nulls.get(2) {
                    Some(Null::No) => nulls[0].clone(),
                    _ => Null::Yes(format!(
                        "`{name}` is NULL where the row it reaches does not exist"
                    )),
                };
                (ty0.filter(|t| t != LITERAL), null)
            }
            "nth_value" if windowed => (
                ty0.filter(|t| t != LITERAL),
                Null::Yes("`nth_value` is NULL where the frame is shorter".to_owned()),
            ),
            "sum" => {
                let ty = match t0 {
                    Some("int2" | "int4") => known("int8"),
                    Some("int8" | "numeric") => known("numeric"),
                    Some(t @ ("float4" | "float8" | "interval")) => known(t),
                    _ => None,
                };
                (ty, agg_null(nulls.first().map_or(Null::Unknown, |n| (*n).clone())))
            }
            "avg" => {
                let ty = match t0 {
                    Some("int2" | "int4" | "int8" | "numeric") => known("numeric"),
                    Some("float4" | "float8") => known("float8"),
                    Some("interval") => known("interval"),
                    _ => None,
                };
                (ty, agg_null(nulls.first().map_or(Null::Unknown, |n| (*n).clone())))
            }
            "min" | "max" => (
                ty0.filter(|t| t != LITERAL),
                agg_null(nulls.first().map_or(Null::Unknown, |n| (*n).clone())),
            ),
            "bool_and" | "bool_or" | "every" => {
                (known("bool"), agg_null(nulls.first().map_or(Null::Unknown, |n| (*n).clone())))
            }
            "array_agg" => (
                ty0.filter(|t| t != LITERAL && !t.ends_with("[]")).map(|t| format!("{t}[]")),
                agg_null(Null::No),
            ),
            "string_agg" => (text, agg_null(nulls.first().map_or(Null::Unknown, |n| (*n).clone()))),
            "json_agg" => (known("json"), agg_null(Null::No)),
            "jsonb_agg" => (known("jsonb"), agg_null(Null::No)),
            "coalesce" => {
                let mut ty = None;
                let mut agree = true;
                // A parameter takes the others' type rather than deciding it.
                for (a, _) in args.iter().zip(&arg_exprs).filter(|(_, e)| !is_param_arg(e)) {
                    merge_type(&mut ty, &mut agree, a.0.clone());
                }
                self.common_params(&arg_exprs, ty.as_deref().filter(|_| agree), name);
                let ty = ty.filter(|_| agree).map(|t| if t == LITERAL { "text".into() } else { t });
                let null =
                    if nulls.iter().any(|n| **n == Null::No) { Null::No } else { strict(&nulls) };
                (ty, null)
            }
            "nullif" => (
                ty0.map(|t| if t == LITERAL { "text".into() } else { t }),
                Null::Yes("NULLIF gives NULL when its arguments are equal".to_owned()),
            ),
            "greatest" | "least" => {
                let mut ty = None;
                let mut agree = true;
                // A parameter takes the others' type rather than deciding it.
                for (a, _) in args.iter().zip(&arg_exprs).filter(|(_, e)| !is_param_arg(e)) {
                    merge_type(&mut ty, &mut agree, a.0.clone());
                }
                self.common_params(&arg_exprs, ty.as_deref().filter(|_| agree), name);
                let ty = ty.filter(|t| agree && t != LITERAL);
                // NULL arguments are ignored: NULL only when all are.
                let null =
                    if nulls.iter().any(|n| **n == Null::No) { Null::No } else { strict(&nulls) };
                (ty, null)
            }
            "now"
            | "current_timestamp"
            | "transaction_timestamp"
            | "statement_timestamp"
            | "clock_timestamp" => (known("timestamptz"), Null::No),
            "current_date" => (known("date"), Null::No),
            "localtimestamp" => (known("timestamp"), Null::No),
            "gen_random_uuid" => (known("uuid"), Null::No),
            "lower" | "upper" | "btrim" | "ltrim" | "rtrim" | "initcap" | "md5" | "replace"
            | "left" | "right" | "substr" | "repeat" | "lpad" | "rpad" | "reverse"
                if matches!(t0, Some("text" | LITERAL)) =>
            {
                (text, strict(&nulls))
            }
            "concat" => (text, Null::No),
            "length" | "char_length" | "character_length" | "octet_length" | "strpos"
                if matches!(t0, Some("text" | LITERAL)) =>
            {
                (known("int4"), strict(&nulls))
            }
            "abs" if t0.and_then(numeric_rank).is_some() => (ty0.clone(), strict(&nulls)),
            "round" | "trunc" if matches!(t0, Some("numeric" | "float8")) => {
                (ty0.clone(), strict(&nulls))
            }
            "date_trunc" => match args.get(1).and_then(|a| a.0.as_deref()) {
                Some(t @ ("timestamptz" | "timestamp" | "interval")) => (known(t), strict(&nulls)),
                _ => (None, Null::Unknown),
            },
            "date_part" => (known("float8"), strict(&nulls)),
            "to_jsonb" => (known("jsonb"), strict(&nulls)),
            "to_json" => (known("json"), strict(&nulls)),
            "jsonb_build_object" | "jsonb_build_array" => (known("jsonb"), Null::No),
            "json_build_object" | "json_build_array" => (known("json"), Null::No),
            "jsonb_array_length" | "json_array_length" => (known("int4"), strict(&nulls)),
            "cardinality" => (known("int4"), strict(&nulls)),
            // NULL for an empty array as well.
            "array_length" => {
                (known("int4"), Null::Yes("`array_length` is NULL for an empty array".to_owned()))
            }
            _ => (None, Null::Unknown),
        })
    }
}

/// Adds a relation to `scope`: its columns (renamed by the alias's column list), or, where they
/// are not known, a relation that makes every unqualified name possible.
fn push_rel(
    scope: &mut Scope,
    name: String,
    label: String,
    cols: Option<Vec<Col>>,
    alias: &Option<sqlparser::ast::TableAlias>,
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

fn arithmetic(l: Option<&str>, r: Option<&str>) -> Option<String> {
    let (l, r) = (l?, r?);
    // An untyped literal takes the other side's type.
    let (l, r) = match (l, r) {
        (LITERAL, x) | (x, LITERAL) => (x, x),
        p => p,
    };
    let (a, b) = (numeric_rank(l)?, numeric_rank(r)?);
    // Integers with numeric or floats, and floats with numeric, are what they say; mixing
    // numeric and floats goes to float8.
    let top = match (a.max(b), a.min(b)) {
        (5, 4) => 6,
        (t, _) => t,
    };
    ["int2", "int4", "int8", "numeric", "float4", "float8"]
        .get(usize::from(top) - 1)
        .map(|s| (*s).to_owned())
}

/// `+` and `-` on dates, times and intervals, as PostgreSQL's operators type them (an untyped
/// literal is left undecided: which operator it picks depends on the literal).
fn temporal(minus: bool, l: Option<&str>, r: Option<&str>) -> Option<String> {
    let ty = match (l?, r?, minus) {
        (t @ ("timestamptz" | "timestamp"), "interval", _) => t,
        ("interval", t @ ("timestamptz" | "timestamp"), false) => t,
        ("date", "int4", _) | ("int4", "date", false) => "date",
        ("date", "interval", _) | ("interval", "date", false) => "timestamp",
        ("date", "date", true) => "int4",
        ("timestamptz", "timestamptz", true) | ("timestamp", "timestamp", true) => "interval",
        ("interval", "interval", _) => "interval",
        _ => return None,
    };
    Some(ty.to_owned())
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
    };
    let columns = infer.statement(statement)?;
    Ok(Typed { columns, params: infer.params, not_null: infer.not_null })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIGRATIONS: &str = "
        CREATE TYPE loan_state AS ENUM ('open', 'returned');
        CREATE DOMAIN email AS varchar(200) NOT NULL;
        CREATE TABLE authors (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, born DATE);
        CREATE TABLE books (
            id BIGSERIAL PRIMARY KEY, author_id BIGINT NOT NULL REFERENCES authors (id),
            title TEXT NOT NULL, pages INT, price NUMERIC(8, 2) NOT NULL, tags TEXT[] NOT NULL,
            meta JSONB NOT NULL
        );
        CREATE TABLE members (id BIGSERIAL PRIMARY KEY, mail email, nick TEXT);
        CREATE TABLE loans (
            id BIGSERIAL PRIMARY KEY, book_id BIGINT NOT NULL, member_id BIGINT NOT NULL,
            state loan_state NOT NULL, lent_at TIMESTAMPTZ NOT NULL, returned_at TIMESTAMPTZ
        );";

    fn typed_of(sql: &str) -> Result<Typed, Diag> {
        let mut catalog = Catalog::default();
        catalog.apply_file("0001.sql", MIGRATIONS).expect("migrations apply");
        let statements = crate::check::syntax::check(sql).expect("parses");
        typed(&catalog, &statements[0])
    }

    fn infer(sql: &str) -> Result<Option<Vec<Col>>, Diag> {
        typed_of(sql).map(|t| t.columns)
    }

    /// `$n type` per parameter the context types.
    fn params(sql: &str) -> String {
        let t = typed_of(sql).expect("resolves");
        t.params.iter().map(|(n, (ty, _))| format!("${n} {ty}")).collect::<Vec<_>>().join(", ")
    }

    #[test]
    fn parameters_take_the_type_of_where_they_stand() {
        assert_eq!(
            params("SELECT id FROM books WHERE author_id = $1 AND pages > $2 AND title LIKE $3"),
            "$1 int8, $2 int4, $3 text"
        );
        assert_eq!(
            params(
                "SELECT id FROM books WHERE id = ANY($1) AND pages BETWEEN $2 AND $3 ORDER BY id LIMIT $4 OFFSET $5"
            ),
            "$1 int8[], $2 int4, $3 int4, $4 int8, $5 int8"
        );
        assert_eq!(
            params(
                "INSERT INTO loans (book_id, member_id, state, lent_at) VALUES ($1, $2, $3, $4)"
            ),
            "$1 int8, $2 int8, $3 enum:loan_state, $4 timestamptz"
        );
        assert_eq!(
            params("UPDATE books SET pages = $1, price = $2 WHERE id = $3 AND $4::int2 > 0"),
            "$1 int4, $2 numeric, $3 int8, $4 int2"
        );
        assert_eq!(params("SELECT id FROM books WHERE pages IN ($1, $2)"), "$1 int4, $2 int4");
        // The first context decides, as in PostgreSQL; a function's argument is not modelled.
        assert_eq!(params("SELECT $1 = id, $1 = pages, lower($2) FROM books"), "$1 int8");
        assert_eq!(params("DELETE FROM members WHERE nick = $1"), "$1 text");
        let e = typed_of(
            "INSERT INTO loans (book_id, member_id) VALUES (1, 2) ON CONFLICT (book_id) DO NOTHING",
        )
        .err()
        .expect("no key on book_id");
        assert_eq!(
            e.message,
            "`ON CONFLICT (book_id)` names no primary key or unique constraint of `loans`, so PostgreSQL refuses the statement"
        );
        assert!(e.help.starts_with("the keys of `loans` are (id)"), "{}", e.help);
        assert_eq!(
            params(
                "UPDATE books SET pages = coalesce($1, pages), price = greatest(price, $2) WHERE id = $3"
            ),
            "$1 int4, $2 numeric, $3 int8"
        );
        assert_eq!(
            params(
                "INSERT INTO members (id, mail) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE
                 SET nick = $3 WHERE members.id < $4 AND excluded.mail <> ''"
            ),
            "$1 int8, $2 text, $3 text, $4 int8"
        );
    }

    /// `name type` per column, `?` after a nullable one, `!` after one not decided.
    fn shape(sql: &str) -> String {
        let cols = infer(sql).expect("resolves").expect("modelled");
        cols.iter()
            .map(|c| {
                let null = match c.null {
                    Null::No => "",
                    Null::Yes(_) => "?",
                    Null::Unknown => "!",
                };
                format!("{} {}{null}", c.name, c.ty.as_deref().unwrap_or("_"))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn why(sql: &str, col: usize) -> String {
        match &infer(sql).expect("resolves").expect("modelled")[col].null {
            Null::Yes(why) => why.clone(),
            other => panic!("column {col} is {other:?}"),
        }
    }

    #[test]
    fn columns_of_tables_aliases_and_stars() {
        assert_eq!(shape("SELECT id, name, born FROM authors"), "id int8, name text, born date?");
        assert_eq!(
            shape("SELECT a.name AS author, b.* FROM authors a JOIN books b ON b.author_id = a.id"),
            "author text, id int8, author_id int8, title text, pages int4?, price numeric, tags text[], meta jsonb"
        );
        assert_eq!(shape("SELECT mail, nick FROM public.members"), "mail text, nick text?");
        assert_eq!(shape("SELECT state FROM loans"), "state enum:loan_state");
    }

    #[test]
    fn outer_joins_make_the_other_side_nullable() {
        let left = "SELECT a.name, b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id";
        assert_eq!(shape(left), "name text, title text?");
        assert_eq!(
            why(left, 1),
            "the LEFT JOIN of `books` (as `b`) leaves its columns NULL where no row matches"
        );
        let on_line =
            "SELECT a.name, b.title\nFROM authors a\nLEFT JOIN books b ON b.author_id = a.id";
        assert_eq!(
            why(on_line, 1),
            "the LEFT JOIN of `books` (as `b`) on line 3 leaves its columns NULL where no row matches"
        );
        let right = "SELECT a.name FROM authors a RIGHT JOIN books b ON b.author_id = a.id";
        assert_eq!(
            why(right, 0),
            "the RIGHT JOIN of `books` (as `b`) leaves the columns of `authors` (as `a`) NULL where no row of it matches"
        );
        assert_eq!(
            shape("SELECT a.name, b.title FROM authors a RIGHT JOIN books b ON b.author_id = a.id"),
            "name text?, title text"
        );
        assert_eq!(
            shape("SELECT a.id, b.id FROM authors a FULL JOIN books b ON b.author_id = a.id"),
            "id int8?, id int8?"
        );
        // Nested: the inner join's both sides are on the outer side of the LEFT JOIN.
        assert_eq!(
            shape(
                "SELECT m.id, l.id, b.title FROM members m
                 LEFT JOIN (loans l JOIN books b ON b.id = l.book_id) ON l.member_id = m.id"
            ),
            "id int8, id int8?, title text?"
        );
        // Inside a CTE (safeql #499) and a subquery.
        assert_eq!(
            shape(
                "WITH x AS (SELECT a.id, b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id)
                 SELECT id, title FROM x"
            ),
            "id int8, title text?"
        );
        assert_eq!(
            shape(
                "SELECT s.title FROM (SELECT b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id) s"
            ),
            "title text?"
        );
        // LATERAL (safeql #418).
        assert_eq!(
            shape(
                "SELECT a.name, last.lent_at FROM authors a LEFT JOIN LATERAL (
                   SELECT l.lent_at FROM loans l JOIN books b ON b.id = l.book_id
                   WHERE b.author_id = a.id ORDER BY l.lent_at DESC LIMIT 1) last ON true"
            ),
            "name text, lent_at timestamptz?"
        );
    }

    #[test]
    fn where_narrows_only_what_it_rejects() {
        // sqlx #2127: a WHERE on another table leaves the outer side nullable.
        assert_eq!(
            shape(
                "SELECT a.name, b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id WHERE a.id = 1"
            ),
            "name text, title text?"
        );
        // A condition on the outer side means its row was matched.
        assert_eq!(
            shape(
                "SELECT b.title, b.pages FROM authors a LEFT JOIN books b ON b.author_id = a.id WHERE b.id > 10"
            ),
            "title text, pages int4?"
        );
        assert_eq!(
            shape("SELECT born FROM authors WHERE born IS NOT NULL AND name <> ''"),
            "born date"
        );
        // Under OR nothing is narrowed.
        assert_eq!(
            shape("SELECT born FROM authors WHERE born IS NOT NULL OR id = 1"),
            "born date?"
        );
    }

    #[test]
    fn aggregates_and_functions() {
        assert_eq!(
            shape(
                "SELECT count(*), sum(pages), sum(id), avg(pages), min(title), max(price) FROM books"
            ),
            "count int8, sum int8?, sum numeric?, avg numeric?, min text?, max numeric?"
        );
        assert_eq!(
            shape(
                "SELECT author_id, count(*), sum(price), max(pages) FROM books GROUP BY author_id"
            ),
            "author_id int8, count int8, sum numeric, max int4?"
        );
        assert!(why("SELECT max(id) FROM books", 0).contains("no rows"));
        assert_eq!(
            shape(
                "SELECT coalesce(pages, 0), nullif(title, ''), greatest(pages, 1), lower(title), length(title), now(), concat(title, pages) FROM books"
            ),
            "coalesce int4, nullif text?, greatest int4, lower text, length int4, now timestamptz, concat text"
        );
        assert_eq!(
            shape(
                "SELECT row_number() OVER (ORDER BY id), count(*) FILTER (WHERE pages > 1) FROM books"
            ),
            "row_number int8, count int8"
        );
        assert_eq!(
            shape("SELECT meta->>'isbn', meta->'isbn', meta @> '{}' FROM books"),
            "?column? text?, ?column? jsonb?, ?column? bool"
        );
        assert_eq!(shape("SELECT unknown_fn(title) FROM books"), "unknown_fn _!");
        assert_eq!(
            shape("SELECT coalesce(sum(id), 0), coalesce(max(pages), 0::int8) FROM books"),
            "coalesce numeric, coalesce int8"
        );
        assert_eq!(shape("SELECT 1 UNION SELECT 2.5"), "?column? numeric");
        assert_eq!(
            shape(
                "SELECT lent_at + interval '1 day', returned_at - lent_at, lent_at + '1 day' FROM loans"
            ),
            "?column? timestamptz, ?column? interval?, ?column? _"
        );
    }

    #[test]
    fn literals_casts_operators_and_case() {
        assert_eq!(
            shape("SELECT 1, 3000000000, 1.5, 'x', true, NULL, '2020-01-01'::date, $1::int8, $2"),
            "?column? int4, ?column? int8, ?column? numeric, ?column? text, ?column? bool, ?column? text?, date date, int8 int8!, ?column? _!"
        );
        assert_eq!(
            shape("SELECT pages + 1, pages * id, price * 2, title || '!', pages > 3 FROM books"),
            "?column? int4?, ?column? int8?, ?column? numeric, ?column? text, ?column? bool?"
        );
        assert_eq!(
            shape(
                "SELECT CASE WHEN pages > 100 THEN 'long' ELSE 'short' END, CASE WHEN pages > 100 THEN title END FROM books"
            ),
            "case text, case text?"
        );
        assert_eq!(
            shape(
                "SELECT EXISTS (SELECT 1 FROM loans l WHERE l.book_id = b.id), (SELECT max(lent_at) FROM loans l WHERE l.book_id = b.id) AS last FROM books b"
            ),
            "exists bool, last timestamptz?"
        );
    }

    #[test]
    fn set_operations_values_recursive_ctes_and_returning() {
        assert_eq!(shape("SELECT id FROM authors UNION ALL SELECT NULL::int8"), "id int8?");
        assert_eq!(shape("SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(n, s)"), "n int4, s text");
        assert_eq!(
            shape(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT i FROM n"
            ),
            "i int4"
        );
        assert_eq!(
            shape(
                "WITH RECURSIVE up(id, boss) AS (SELECT id, NULL::int8 FROM authors WHERE id = 1
                   UNION ALL SELECT b.id, up.id FROM books b JOIN up ON b.author_id = up.id)
                 SELECT id, boss FROM up"
            ),
            "id int8, boss int8?"
        );
        assert_eq!(
            shape(
                "INSERT INTO loans (book_id, member_id, state, lent_at) VALUES ($1, $2, 'open', now()) RETURNING id, returned_at"
            ),
            "id int8, returned_at timestamptz?"
        );
        assert_eq!(
            shape("UPDATE books SET pages = 1 WHERE id = $1 RETURNING title, pages"),
            "title text, pages int4"
        );
        assert_eq!(
            shape("DELETE FROM members WHERE id = $1 RETURNING *"),
            "id int8, mail text, nick text?"
        );
    }

    #[test]
    fn unknown_names_are_errors_with_did_you_mean() {
        let e = infer("SELECT id FROM autors").expect_err("no such table");
        assert_eq!(e.message, "no table `autors` in the migrations");
        assert!(e.help.starts_with("did you mean `authors`?"), "{}", e.help);
        let e = infer("SELECT a.nmae FROM authors a").expect_err("no such column");
        assert_eq!(e.message, "no column `nmae` in `a`");
        assert!(e.help.starts_with("did you mean `name`?"), "{}", e.help);
        let e = infer("SELECT titel FROM books WHERE id = 1").expect_err("no such column");
        assert!(e.message.starts_with("no column `titel`"), "{}", e.message);
        let e = infer("SELECT b.id FROM books WHERE id = 1").expect_err("no such alias");
        assert_eq!(e.message, "no table or alias `b` in this statement's FROM");
        let e = infer("SELECT id FROM books WHERE pagez > 1").expect_err("in WHERE too");
        assert!(e.message.starts_with("no column `pagez`"), "{}", e.message);
        for sql in [
            "SELECT author_id FROM books GROUP BY autor_id",
            "SELECT author_id, count(*) FROM books GROUP BY author_id HAVING max(pagez) > 1",
            "SELECT id FROM books ORDER BY titel",
        ] {
            let e = infer(sql).expect_err(sql);
            assert!(e.message.starts_with("no column"), "{sql}: {}", e.message);
        }
        // Output names and positions are fine there.
        assert!(
            infer("SELECT author_id AS a, count(*) AS n FROM books GROUP BY a ORDER BY n DESC, 1")
                .is_ok()
        );
        assert!(infer("SELECT title FROM books ORDER BY lower(title), id").is_ok());
        // Outer references in a subquery resolve; unknown relations leave names alone.
        assert!(infer("SELECT (SELECT b.title) FROM books b").is_ok());
        assert!(infer("SELECT x FROM generate_series(1, 3) x").expect("resolves").is_some());
        assert!(infer("SELECT relname FROM pg_catalog.pg_class").is_ok());
        assert!(infer("SELECT current_date, localtimestamp").is_ok());
    }
}
