//! Every expanded statement is parsed as PostgreSQL before it is compiled in.

use sqlparser::ast::{SelectItem, SetExpr, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::template::Diag;

/// Parses `sql`; a failure quotes the statement with a caret under the position.
pub(crate) fn check(sql: &str) -> Result<Vec<Statement>, Diag> {
    Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|e| {
        let text = e.to_string();
        let text = text.strip_prefix("sql parser error: ").unwrap_or(&text);
        let (reason, at) = split_location(text);
        let snippet = at.map(|(line, col)| caret(sql, line, col)).unwrap_or_else(|| format!("\n    {sql}"));
        Diag::new(
            format!("SQL syntax error: {reason}{snippet}"),
            "this is the statement the template expands to; fix the template so it parses, or mark a statement PostgreSQL accepts but the checker does not with `#[sql(\"…\", unchecked)]`",
        )
    })
}

/// `"Expected: x, found: y at Line: 1, Column: 17"` → (`"Expected: x, found: y"`, (1, 17)).
fn split_location(text: &str) -> (&str, Option<(usize, usize)>) {
    let Some(i) = text.rfind(" at Line: ") else { return (text, None) };
    let rest = &text[i + " at Line: ".len()..];
    let mut parts = rest.split(", Column: ");
    let line = parts.next().and_then(|l| l.trim().parse().ok());
    let col = parts.next().and_then(|c| c.trim().parse().ok());
    match (line, col) {
        (Some(l), Some(c)) => (&text[..i], Some((l, c))),
        _ => (text, None),
    }
}

/// The offending line of `sql` with a `^` under column `col` (both 1-based).
fn caret(sql: &str, line: usize, col: usize) -> String {
    let text = sql.lines().nth(line.saturating_sub(1)).unwrap_or(sql);
    let pad: String = text
        .chars()
        .take(col.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("\n    {text}\n    {pad}^")
}

/// The number of columns a statement returns, when its select list says so plainly
/// (no `*`, a single `SELECT`, `INSERT/UPDATE/DELETE … RETURNING`).
pub(crate) fn output_arity(statements: &[Statement]) -> Option<usize> {
    let [statement] = statements else { return None };
    let items: &[SelectItem] = match statement {
        Statement::Query(q) => match q.body.as_ref() {
            SetExpr::Select(s) => &s.projection,
            _ => return None,
        },
        Statement::Insert(i) => i.returning.as_deref()?,
        Statement::Update(u) => u.returning.as_deref()?,
        Statement::Delete(d) => d.returning.as_deref()?,
        _ => return None,
    };
    let plain = items
        .iter()
        .all(|i| matches!(i, SelectItem::UnnamedExpr(_) | SelectItem::ExprWithAlias { .. }));
    plain.then_some(items.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arity(sql: &str) -> Option<usize> {
        output_arity(&check(sql).expect("parses"))
    }

    #[test]
    fn valid_postgres_parses() {
        for sql in [
            "SELECT id, phone FROM users WHERE id = $1",
            "SELECT a, COUNT(*) OVER () FROM t ORDER BY a DESC LIMIT $1 OFFSET $2",
            "INSERT INTO t (a, b) SELECT * FROM UNNEST($1, $2) ON CONFLICT (a) DO NOTHING",
            "UPDATE t SET a = $1 WHERE id = $2 RETURNING id",
            "SELECT 1 FROM t WHERE tags @> $1 AND tags <@ $1 AND (flags << 2) > 0 AND x::text = $$a$$",
            "SELECT id FROM \"Everything\" WHERE \"order\" = E'\\'x'",
        ] {
            assert!(check(sql).is_ok(), "{sql}: {:?}", check(sql));
        }
    }

    #[test]
    fn errors_quote_the_statement_with_a_caret() {
        let d = check("SELECT id, phone FORM users WHERE id = $1").expect_err("does not parse");
        assert!(d.message.starts_with("SQL syntax error: "), "{}", d.message);
        let lines: Vec<&str> = d.message.lines().collect();
        assert_eq!(lines[1], "    SELECT id, phone FORM users WHERE id = $1");
        let caret = lines[2].find('^').expect("a caret");
        assert_eq!(&lines[1][caret..caret + 5], "users", "{}", d.message);
    }

    #[test]
    fn arity_of_plain_select_lists() {
        assert_eq!(arity("SELECT a, b AS c FROM t"), Some(2));
        assert_eq!(arity("SELECT * FROM t"), None);
        assert_eq!(arity("SELECT t.* FROM t"), None);
        assert_eq!(arity("INSERT INTO t (a) VALUES ($1) RETURNING a, b"), Some(2));
        assert_eq!(arity("UPDATE t SET a = 1 RETURNING a"), Some(1));
        assert_eq!(arity("DELETE FROM t"), None);
        assert_eq!(arity("SELECT a FROM t UNION SELECT b FROM u"), None);
    }
}
