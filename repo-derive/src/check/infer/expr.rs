//! Expression typing: each expression's type and nullability, and the parameters it types.
//!
//! One piece: `expr` is one `match` over sqlparser's expression kinds, each arm typing its
//! operands through the same walk; the function table below it (`function`, set-returning
//! functions) is what the arms for calls and FROM items look up.

use sqlparser::ast::{
    BinaryOperator, CastKind, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
    Query, SelectItem, UnaryOperator, Value,
};

use super::{
    Col, Infer, LITERAL, Null, Scope, always_one_row, known, merge_type, numeric_rank, object_name,
    param_number, strict, unnest_select,
};
use crate::check::schema::normalize_type;
use crate::template::Diag;

impl Infer<'_> {
    pub(super) fn expr(&mut self, e: &Expr, scope: &Scope) -> Result<(Option<String>, Null), Diag> {
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
                let left: Vec<&Expr> = match expr.as_ref() {
                    Expr::Tuple(items) => items.iter().collect(),
                    one => vec![one],
                };
                let mut types = Vec::new();
                for e in &left {
                    types.push(self.expr(e, scope)?.0);
                }
                self.subquery(subquery, scope)?;
                // `(a, b) IN (SELECT * FROM UNNEST($1, $2))`: each array holds values compared
                // with its own side.
                if let Some((select, arrays, _)) = unnest_select(subquery)
                    && matches!(select.projection.as_slice(), [SelectItem::Wildcard(_)])
                    && arrays.len() == left.len()
                {
                    for ((array, ty), e) in arrays.into_iter().zip(types).zip(left) {
                        let ty = ty.filter(|t| t != LITERAL && !t.ends_with("[]"));
                        self.param(array, ty.map(|t| format!("{t}[]")).as_deref(), || {
                            format!("its elements are compared with `{e}`")
                        });
                    }
                }
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
                let operand_ty = match operand {
                    Some(o) => self.expr(o, scope)?.0,
                    None => None,
                };
                let mut ty: Option<String> = None;
                let mut types_agree = true;
                let mut nulls = Vec::new();
                for w in conditions {
                    self.expr(&w.condition, scope)?;
                    if let Some(o) = operand {
                        self.param(&w.condition, operand_ty.as_deref(), || {
                            format!("it is compared with `{o}`")
                        });
                    }
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
    pub(super) fn common_params(
        &mut self,
        args: &[&FunctionArgExpr],
        ty: Option<&str>,
        name: &str,
    ) {
        for a in args {
            if let FunctionArgExpr::Expr(e) = a {
                self.param(e, ty, || format!("it is an argument of `{name}` with that type"));
            }
        }
    }

    pub(super) fn subquery(&mut self, q: &Query, scope: &Scope) -> Result<Option<Vec<Col>>, Diag> {
        self.outer.push(Scope { rels: scope.rels.clone(), complete: scope.complete });
        let out = self.query(q);
        self.outer.pop();
        out
    }

    pub(super) fn cast_type(&self, data_type: &DataType) -> Option<String> {
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

    pub(super) fn function(
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
            "row_number" | "rank" | "dense_rank" if windowed => (known("int8"), Null::No),
            "ntile" if windowed => (known("int4"), strict(&nulls)),
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
            _ => match set_returning(name, &args) {
                Some((cols, _)) if cols.len() == 1 && !windowed => {
                    (cols[0].ty.clone(), cols[0].null.clone())
                }
                _ => (None, Null::Unknown),
            },
        })
    }
}

/// The columns of a set-returning function over arguments of these types, and whether it
/// returns a scalar (whose column a FROM alias names); `None` when it is not modelled.
pub(super) fn set_returning(
    name: &str,
    args: &[(Option<String>, Null)],
) -> Option<(Vec<Col>, bool)> {
    let col = |name: &str, ty: Option<&str>, null: Null| Col {
        name: name.to_owned(),
        ty: ty.map(str::to_owned),
        null,
    };
    let types: Vec<Option<&str>> = args.iter().map(|a| a.0.as_deref()).collect();
    let json_null = || Null::Yes(format!("`{name}` gives NULL for a JSON null"));
    Some(match name {
        "unnest" if !args.is_empty() => {
            let null = if args.len() == 1 {
                "an array's elements can be NULL"
            } else {
                "`unnest` of several arrays pads the shorter ones with NULL"
            };
            let cols = types
                .iter()
                .map(|t| {
                    col("unnest", t.and_then(|t| t.strip_suffix("[]")), Null::Yes(null.to_owned()))
                })
                .collect();
            (cols, args.len() == 1)
        }
        "generate_series" if (2..=3).contains(&args.len()) => {
            let ty = match types.as_slice() {
                [Some(t @ ("timestamptz" | "timestamp")), Some(u), Some("interval")] if t == u => {
                    Some(*t)
                }
                _ => types
                    .iter()
                    .map(|t| t.and_then(numeric_rank).filter(|r| *r <= 4))
                    .try_fold(2, |top, r| r.map(|r| top.max(r)))
                    .map(|top| ["int2", "int4", "int8", "numeric"][usize::from(top) - 1]),
            };
            // NULL arguments give no rows, never a NULL.
            (vec![col(name, ty, Null::No)], true)
        }
        "jsonb_array_elements" | "json_array_elements" => {
            (vec![col("value", name.strip_suffix("_array_elements"), Null::No)], false)
        }
        "jsonb_array_elements_text" | "json_array_elements_text" => {
            (vec![col("value", Some("text"), json_null())], false)
        }
        "jsonb_each" | "json_each" => (
            vec![
                col("key", Some("text"), Null::No),
                col("value", name.strip_suffix("_each"), Null::No),
            ],
            false,
        ),
        "jsonb_each_text" | "json_each_text" => (
            vec![col("key", Some("text"), Null::No), col("value", Some("text"), json_null())],
            false,
        ),
        "jsonb_object_keys" | "json_object_keys" => (vec![col(name, Some("text"), Null::No)], true),
        _ => return None,
    })
}

fn is_param_arg(a: &FunctionArgExpr) -> bool {
    matches!(a, FunctionArgExpr::Expr(e) if param_number(e).is_some())
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
