//! Each result column of a method's statement, typed from the migrations
//! (`check::infer`), against the Rust type that reads it: a type PostgreSQL would refuse, or
//! a NULL the type cannot hold, is a compile error naming the column and why.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use sqlparser::ast::Statement;
use syn::{Ident, Type};

use super::model::{Method, Returns};
use crate::check::entity::{accepted_types, option_inner};
use crate::check::infer::{self, Col, Null};
use crate::check::schema::Catalog;
use crate::diag::{Errors, pretty};
use crate::template::Expanded;

/// What the typing needs: the catalog, and the entity's field types by column.
pub(crate) struct Typing<'a> {
    pub catalog: &'a Catalog,
    pub columns: &'a HashMap<String, Type>,
}

fn is_option(ty: &Type) -> bool {
    !std::ptr::eq(option_inner(ty), ty)
}

/// The Rust type that reads a PostgreSQL type, for the help.
fn rust_for(pg: &str) -> Option<String> {
    if let Some(inner) = pg.strip_suffix("[]") {
        return rust_for(inner).map(|t| format!("Vec<{t}>"));
    }
    Some(
        match pg {
            "int2" => "i16",
            "int4" => "i32",
            "int8" => "i64",
            "float4" => "f32",
            "float8" => "f64",
            "bool" => "bool",
            "text" => "String",
            "bytea" => "Vec<u8>",
            "timestamptz" => "DateTime<Utc>",
            "timestamp" => "NaiveDateTime",
            "date" => "NaiveDate",
            "time" => "NaiveTime",
            "uuid" => "Uuid",
            "numeric" => "Decimal",
            "json" | "jsonb" => "serde_json::Value",
            _ => return None,
        }
        .to_owned(),
    )
}

/// Checks the columns of `statement` against the row type of `m`; returns what was inferred
/// (for the listing), or `None` where the statement's shape is not modelled.
pub(super) fn check(
    m: &Method,
    x: &Expanded,
    statement: &Statement,
    typing: &Typing<'_>,
    entity: &Ident,
    params_out: &mut Vec<Option<String>>,
    errors: &mut Errors,
) -> Option<Vec<Col>> {
    let name = &m.item.sig.ident;
    let typed = match infer::typed(typing.catalog, statement) {
        Ok(t) => t,
        Err(d) => {
            errors.push(
                &m.sql_attr,
                format!("`{name}`: {}", d.message),
                format!("{}; the statement is: {}", d.help, x.sql),
            );
            return None;
        }
    };
    check_params(m, x, &typed.params, errors);
    *params_out = (1..=x.binds.len()).map(|n| typed.params.get(&n).map(|p| p.0.clone())).collect();
    let mut cols = typed.columns?;
    let listed = cols.clone();
    let row = match &m.returns {
        Returns::One(t) | Returns::Opt(t) | Returns::Many(t) | Returns::Stream(t) => t,
        Returns::Page(t) if x.has_total => {
            cols.pop();
            t
        }
        _ => return Some(listed),
    };
    // (column, Rust type reading it, where to point)
    let mut reads: Vec<(usize, Type, TokenStream)> = Vec::new();
    // `Result<Option<i64>>` reads a NULL in the only column as `None`.
    let null_is_none = matches!(m.returns, Returns::Opt(_));
    match row {
        Type::Tuple(t) if t.elems.len() == cols.len() => {
            for (i, e) in t.elems.iter().enumerate() {
                reads.push((i, e.clone(), e.to_token_stream()));
            }
        }
        Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == *entity) => {
            for (i, c) in cols.iter().enumerate() {
                if let Some(t) = typing.columns.get(&c.name) {
                    reads.push((i, t.clone(), m.sql_attr.clone()));
                }
            }
        }
        t if cols.len() == 1 && accepted_types(t).is_some() => {
            let read: Type = if null_is_none { syn::parse_quote!(Option<#t>) } else { t.clone() };
            reads.push((0, read, t.to_token_stream()));
        }
        _ => {}
    }
    for (i, ty, at) in reads {
        let c = &cols[i];
        let shown = pretty(&ty);
        let column = format!("column {} `{}`", i + 1, c.name);
        if let (Some(pg), Some(accepted)) = (&c.ty, accepted_types(&ty))
            && !pg.starts_with("enum:")
            && !accepted.contains(pg)
        {
            let read_as = match rust_for(pg) {
                Some(r) if is_option(&ty) => format!("read it as `Option<{r}>`, or "),
                Some(r) => format!("read it as `{r}`, or "),
                None => String::new(),
            };
            let cast = accepted.first().map(|a| format!(" (`…::{a}`)")).unwrap_or_default();
            errors.push(
                &at,
                format!(
                    "`{name}` reads {column} as `{shown}`, but PostgreSQL gives it the type `{pg}`"
                ),
                format!("{read_as}cast it in the statement{cast}; the statement is: {}", x.sql),
            );
        }
        if let Null::Yes(why) = &c.null
            && !is_option(&ty)
        {
            errors.push(
                &at,
                format!("`{name}` reads {column} as `{shown}`, but it can be NULL: {why}"),
                format!(
                    "read it as `Option<{shown}>`, or rule NULL out in the statement (`COALESCE(…)`, `… IS NOT NULL`, an inner join); the statement is: {}",
                    x.sql
                ),
            );
        }
    }
    Some(listed)
}

/// The column types an argument type can be sent as, through references and slices (`&str`,
/// `&[i64]`); `None` for types the macro cannot see into.
fn arg_accepted(ty: &Type) -> Option<Vec<String>> {
    match ty {
        Type::Reference(r) => arg_accepted(&r.elem),
        Type::Group(g) => arg_accepted(&g.elem),
        Type::Paren(p) => arg_accepted(&p.elem),
        Type::Slice(s) => match &*s.elem {
            Type::Path(p) if p.path.is_ident("u8") => Some(vec!["bytea".to_owned()]),
            elem => Some(arg_accepted(elem)?.into_iter().map(|t| format!("{t}[]")).collect()),
        },
        Type::Path(p) if p.path.is_ident("str") => Some(vec!["text".to_owned()]),
        Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option") => {
            arg_accepted(option_inner(ty))
        }
        other => accepted_types(other),
    }
}

/// Each argument bound as a whole against the type PostgreSQL gives its parameter.
fn check_params(
    m: &Method,
    x: &Expanded,
    params: &std::collections::BTreeMap<usize, (String, String)>,
    errors: &mut Errors,
) {
    let name = &m.item.sig.ident;
    for (n, (pg, because)) in params {
        let Some(crate::template::Bind::Arg(arg)) = x.binds.get(n - 1) else { continue };
        let Some(a) = m.args.iter().find(|a| a.ident == arg) else { continue };
        let Some(accepted) = arg_accepted(&a.ty) else { continue };
        if pg.starts_with("enum:") || accepted.contains(pg) {
            continue;
        }
        let shown = pretty(&a.ty);
        // In the argument's own shape: `Option<i32>`, `&[i64]`.
        let as_arg = |r: String| match &a.ty {
            Type::Reference(x) if matches!(*x.elem, Type::Slice(_)) => r
                .strip_prefix("Vec<")
                .and_then(|e| e.strip_suffix('>'))
                .map_or(r.clone(), |e| format!("&[{e}]")),
            t if is_option(t) => format!("Option<{r}>"),
            _ => r,
        };
        let pass =
            rust_for(pg).map(|r| format!("pass it as `{}`, or ", as_arg(r))).unwrap_or_default();
        let cast = accepted.first().map(|t| format!(" (`@{arg}::{t}`)")).unwrap_or_default();
        errors.push(
            &a.ty,
            format!("`{name}` binds `{arg}: {shown}` as ${n}, but PostgreSQL takes ${n} as `{pg}`: {because}"),
            format!("{pass}cast the parameter in the template{cast}; the statement is: {}", x.sql),
        );
    }
}

/// The listing of what was inferred for one statement, as `repo_runtime::Inferred`.
pub(super) fn listing(
    method: &str,
    sql: &str,
    cols: Option<&[Col]>,
    params: &[Option<String>],
) -> TokenStream {
    let p = quote!(::repo_runtime);
    let columns = cols.into_iter().flatten().map(|c| {
        let name = &c.name;
        let ty = match &c.ty {
            Some(t) => quote!(::core::option::Option::Some(#t)),
            None => quote!(::core::option::Option::None),
        };
        let (nullable, why) = match &c.null {
            Null::No => (quote!(::core::option::Option::Some(false)), String::new()),
            Null::Yes(w) => (quote!(::core::option::Option::Some(true)), w.clone()),
            Null::Unknown => (quote!(::core::option::Option::None), String::new()),
        };
        quote!(#p::InferredColumn { name: #name, pg_type: #ty, nullable: #nullable, why: #why })
    });
    let modelled = cols.is_some();
    let params = params.iter().map(|t| match t {
        Some(t) => quote!(::core::option::Option::Some(#t)),
        None => quote!(::core::option::Option::None),
    });
    quote!(#p::Inferred {
        method: #method,
        sql: #sql,
        modelled: #modelled,
        columns: &[#(#columns),*],
        params: &[#(#params),*],
    })
}
