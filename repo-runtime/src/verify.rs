//! `verify()`: every statement of a repository prepared against a live database, its
//! parameter and column types compared with the Rust types they bind and read.

use std::fmt;

use tokio_postgres::types::Type;

use crate::call::Query;
use crate::executor::Conn;

/// How a parameter is bound, for `verify`.
#[derive(Debug, Clone, Copy)]
pub struct ParamCheck {
    /// `<T as ToSql>::accepts`.
    pub accepts: fn(&Type) -> bool,
    /// The Rust type, for the report.
    pub rust: &'static str,
}

/// How rows are read, for `verify`.
#[derive(Debug, Clone, Copy)]
pub struct RowCheck {
    /// `<T as FromRow>::WIDTH`.
    pub width: Option<usize>,
    /// `<T as FromRow>::NAMES`.
    pub names: Option<&'static [&'static str]>,
    /// Columns after the row's own (a page's total).
    pub extra: usize,
    /// `<T as FromRow>::accepts_column`.
    pub accepts: fn(usize, &Type) -> bool,
    /// The Rust row type, for the report.
    pub rust: &'static str,
}

impl RowCheck {
    /// How a `T` is read, with `extra` columns after its own.
    pub fn of<T: crate::FromRow>(extra: usize, rust: &'static str) -> Self {
        Self { width: T::WIDTH, names: T::NAMES, extra, accepts: T::accepts_column, rust }
    }
}

/// One mismatch between a statement and its Rust types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `Trait::method`.
    pub method: &'static str,
    /// What is wrong, naming the parameter or column.
    pub message: String,
}

/// What `verify()` found for one repository: empty when every statement prepares and every
/// type matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Statements checked.
    pub checked: usize,
    /// Everything that did not match.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// True when nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// Adds another repository's findings.
    pub fn merge(&mut self, other: VerifyReport) {
        self.checked += other.checked;
        self.problems.extend(other.problems);
    }

    /// `Ok` when nothing is wrong, else the report as an error.
    pub fn into_result(self) -> Result<Self, Self> {
        if self.is_ok() { Ok(self) } else { Err(self) }
    }

    /// Prepares `q` on `conn` and compares its types with `params` and `rows`.
    #[doc(hidden)]
    pub async fn check(
        &mut self,
        conn: &Conn<'_>,
        q: &'static Query,
        params: &[ParamCheck],
        rows: Option<RowCheck>,
        inferred: Option<&Inferred>,
    ) {
        self.checked += 1;
        let mut problem =
            |message: String| self.problems.push(Problem { method: q.method, message });
        let stmt = match conn.prepare(q.sql, q.types).await {
            Ok(stmt) => stmt,
            Err(e) => {
                let why = e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_owned());
                problem(format!("does not prepare: {why} (statement: {})", q.sql));
                return;
            }
        };
        if stmt.params().len() != params.len() {
            problem(format!(
                "the statement takes {} parameters, the method binds {}",
                stmt.params().len(),
                params.len()
            ));
        }
        for (i, (ty, p)) in stmt.params().iter().zip(params).enumerate() {
            if !(p.accepts)(ty) {
                problem(format!(
                    "parameter ${} is `{ty}`, which `{}` cannot be sent as",
                    i + 1,
                    p.rust
                ));
            }
        }
        // What the macro inferred from the migrations, against what the database says: a
        // difference is a migrations folder out of step with the database (or an inference
        // to fix).
        // A type the statement states when prepared (a batch's arrays) is what the database
        // describes, whatever the migrations say.
        for (i, (ty, guess)) in stmt
            .params()
            .iter()
            .zip(inferred.map_or(&[][..], |x| x.params))
            .enumerate()
            .skip(q.types.len())
        {
            if let Some(guess) = guess
                && !same_type(guess, ty)
            {
                problem(format!(
                    "parameter ${} is `{ty}` in the database, but `{guess}` in the migrations it \
                     was checked against at compile time; rebuild against migrations that match \
                     the database",
                    i + 1
                ));
            }
        }
        let columns = stmt.columns();
        let inferred = inferred.filter(|x| x.modelled).map_or(&[][..], |x| x.columns);
        if !inferred.is_empty() && inferred.len() != columns.len() {
            problem(format!(
                "the statement returns {} columns, the migrations gave {} at compile time",
                columns.len(),
                inferred.len()
            ));
        }
        for (i, (c, guess)) in columns.iter().zip(inferred).enumerate() {
            if let Some(ty) = guess.pg_type
                && !same_type(ty, c.type_())
            {
                problem(format!(
                    "column {i} `{}` is `{}` in the database, but `{ty}` in the migrations it was \
                     checked against at compile time; rebuild against migrations that match \
                     the database",
                    c.name(),
                    c.type_()
                ));
            }
        }
        let Some(rows) = rows else { return };
        if let Some(width) = rows.width
            && columns.len() != width + rows.extra
        {
            problem(format!(
                "the statement returns {} columns, `{}` reads {}{}",
                columns.len(),
                rows.rust,
                width,
                if rows.extra > 0 { " plus the total" } else { "" }
            ));
        }
        // Columns past the row's width are already reported by the count.
        let own = columns.len().saturating_sub(rows.extra).min(rows.width.unwrap_or(usize::MAX));
        for (i, c) in columns.iter().take(own).enumerate() {
            if !(rows.accepts)(i, c.type_()) {
                problem(format!(
                    "column {i} `{}` is `{}`, which `{}` cannot read",
                    c.name(),
                    c.type_(),
                    rows.rust
                ));
            }
            // Columns are read by position: a column named after another field lands in the
            // wrong one (`SELECT *` over a table whose column order differs from the fields).
            // A computed column with a name of its own (`lower(name)`) is the author's choice.
            if let Some(names) = rows.names
                && let Some(&expected) = names.get(i)
                && c.name() != expected
                && let Some(j) = names.iter().position(|n| *n == c.name())
            {
                problem(format!(
                    "column {i} is `{}`, but `{}` reads column {i} into `{expected}` (its `{}` is \
                     column {j}): the select list is in another order than the fields; list the \
                     columns in field order (`<<columns>>` does)",
                    c.name(),
                    rows.rust,
                    c.name()
                ));
            }
        }
    }
}

/// Whether `ty`, as the database describes it, is the type the macro inferred (`text` for any
/// string type, `enum:name`, a domain by its base type, `elem[]`).
fn same_type(inferred: &str, ty: &Type) -> bool {
    use tokio_postgres::types::Kind;
    match ty.kind() {
        Kind::Domain(base) => return same_type(inferred, base),
        Kind::Array(elem) => {
            return inferred.strip_suffix("[]").is_some_and(|e| same_type(e, elem));
        }
        Kind::Enum(_) => return inferred.strip_prefix("enum:") == Some(ty.name()),
        _ => {}
    }
    match inferred {
        "text" => matches!(ty.name(), "text" | "varchar" | "bpchar" | "name" | "citext"),
        other => other == ty.name(),
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ok() {
            return write!(f, "{} statements verified", self.checked);
        }
        // A statement can have several problems (a parameter and a column): statements are
        // counted once, problems beside them.
        let statements =
            self.problems.iter().map(|p| p.method).collect::<std::collections::BTreeSet<_>>();
        let problems = match self.problems.len() {
            1 => "1 problem".to_owned(),
            n => format!("{n} problems"),
        };
        writeln!(
            f,
            "{} of {} statements do not match the database ({problems}):",
            statements.len(),
            self.checked
        )?;
        for p in &self.problems {
            writeln!(f, "- {}: {}", p.method, p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for VerifyReport {}

/// What `#[repository_for]` inferred about one statement's result columns from the migrations,
/// with no database: a repository's `INFERRED` lists one per checked statement. The same
/// inference is what the compile-time check compares with the Rust types that read the rows;
/// print it in a test to see which columns it decided and which it left to
/// [`verify`](crate::VerifyReport).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inferred {
    /// The trait method.
    pub method: &'static str,
    /// The statement as it runs.
    pub sql: &'static str,
    /// `false` when the statement's shape is beyond the inference (its columns are then all
    /// left to `verify`, and `columns` is empty).
    pub modelled: bool,
    /// The result columns, in order.
    pub columns: &'static [InferredColumn],
    /// The type of each parameter (`$1` first) where its context decides it: `col = $1`,
    /// `INSERT (col) VALUES ($1)`, `= ANY($1)`, `LIMIT $1`, `$1::type`; `None` elsewhere.
    pub params: &'static [Option<&'static str>],
}

/// One result column as inferred from the migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InferredColumn {
    /// The name PostgreSQL gives the column.
    pub name: &'static str,
    /// PostgreSQL's type name (`int8`, `text`, `timestamptz`, `text[]`; an enum as
    /// `enum:name`; a domain as its base type), or `None` where it was not decided.
    pub pg_type: Option<&'static str>,
    /// Whether the column can be NULL, or `None` where it was not decided.
    pub nullable: Option<bool>,
    /// Why it can be NULL (empty otherwise).
    pub why: &'static str,
}
