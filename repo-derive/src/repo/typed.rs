//! Each result column of a method's statement, typed from the migrations
//! (`check::infer`), against the Rust type that reads it: a type PostgreSQL would refuse, or
//! a NULL the type cannot hold, is a compile error naming the column and why.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use sqlparser::ast::Statement;
use syn::{Ident, Type};

use super::model::{Method, Returns};
use crate::check::entity::{accepted_types, is_option, option_inner, rust_type as rust_for};
use crate::check::infer::{self, Col, Null};
use crate::check::schema::Catalog;
use crate::diag::{Errors, pretty};
use crate::template::{Bind, Expanded};

/// What the typing needs: the catalog, and the entity's field types by column.
pub(crate) struct Typing<'a> {
    pub catalog: &'a Catalog,
    pub columns: &'a HashMap<String, Type>,
}

/// Checks the columns of `statement` against the row type of `m`; returns what was inferred
/// (for the listing), or `None` where the statement's shape is not modelled.
pub(super) fn check(
    m: &Method,
    x: &Expanded,
    statement: &Statement,
    typing: &Typing<'_>,
    entity: &Ident,
    consts: &mut Vec<TokenStream>,
    errors: &mut Errors,
) -> Checked {
    let name = &m.item.sig.ident;
    let typed = match infer::typed(typing.catalog, statement) {
        Ok(t) => t,
        Err(d) => {
            errors.push(
                &m.at,
                format!("`{name}`: {}", d.message),
                format!("{}; the statement is: {}", d.help, x.sql),
            );
            return Checked::default();
        }
    };
    check_params(m, x, &typed.params, errors);
    check_not_null(m, x, &typed.not_null, errors);
    // A batch's arrays (`<<unnest>>`) are listed with the type of the column they fill, though
    // they are prepared with the types of their Rust elements (`verify()` does not compare
    // those; the statement casts them where the column differs).
    let params = (1..=x.binds.len()).map(|n| typed.params.get(&n).map(|p| p.0.clone())).collect();
    let Some(mut cols) = typed.columns else { return Checked { columns: None, params } };
    let listed = cols.clone();
    let row = match &m.returns {
        Returns::One(t) | Returns::Opt(t) | Returns::Many(t) | Returns::Stream(t) => t,
        Returns::Page(t) if x.has_total => {
            cols.pop();
            t
        }
        _ => return Checked { columns: Some(listed), params },
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
                    reads.push((i, t.clone(), m.at.clone()));
                }
            }
        }
        t if cols.len() == 1 && accepted_types(t).is_some() => {
            let read: Type = if null_is_none { syn::parse_quote!(Option<#t>) } else { t.clone() };
            reads.push((0, read, t.to_token_stream()));
        }
        // Another entity or a `FromRow` struct: its fields are known to the compiler only, so
        // a constant compares them with the columns, by position.
        t @ Type::Path(_) if accepted_types(t).is_none() => {
            consts.extend(shape_check(m, t, &cols, &x.sql));
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
    Checked { columns: Some(listed), params }
}

/// What was inferred for one statement, for the listing.
#[derive(Default)]
pub(super) struct Checked {
    /// The result columns, `None` where not modelled (or the statement did not resolve).
    pub columns: Option<Vec<Col>>,
    /// Each `$n`'s type, where decided.
    pub params: Vec<Option<String>>,
}

/// The constant that holds the fields of `row` (a derived row type) against `cols`.
fn shape_check(m: &Method, row: &Type, cols: &[Col], sql: &str) -> Option<TokenStream> {
    if cols.iter().all(|c| c.ty.is_none() && !matches!(c.null, Null::Yes(_))) {
        return None;
    }
    let name = &m.item.sig.ident;
    let shown = pretty(row);
    let shapes = cols.iter().enumerate().map(|(i, c)| {
        let pg = c.ty.clone().unwrap_or_default();
        let column = format!("column {} `{}`", i + 1, c.name);
        let nullable = matches!(c.null, Null::Yes(_));
        let why = match &c.null {
            Null::Yes(w) => w.clone(),
            _ => String::new(),
        };
        let use_type = rust_for(&pg).map(|r| format!("give it the type `{r}`, or ")).unwrap_or_default();
        let wrong_type = format!(
            "`{name}` reads {column} into field {} of `{shown}`, whose type cannot read PostgreSQL's `{pg}`\nhelp: {use_type}cast the column in the statement; the statement is: {sql}",
            i + 1
        );
        let not_option = format!(
            "`{name}` reads {column} into field {} of `{shown}`, which is not an `Option`, but the column can be NULL: {why}\nhelp: make that field an `Option`, or rule NULL out in the statement (`COALESCE(…)`, `… IS NOT NULL`, an inner join); the statement is: {sql}",
            i + 1
        );
        quote!(::repo_runtime::__private::ColumnShape {
            pg_type: #pg,
            nullable: #nullable,
            wrong_type: #wrong_type,
            not_option: #not_option,
        })
    });
    Some(quote::quote_spanned! {syn::spanned::Spanned::span(row)=>
        const _: () = ::repo_runtime::__private::assert_columns::<#row>(&[#(#shapes),*]);
    })
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

/// An `Option` argument written straight into a NOT NULL column: `None` would fail there.
fn check_not_null(
    m: &Method,
    x: &Expanded,
    not_null: &std::collections::BTreeMap<usize, String>,
    errors: &mut Errors,
) {
    let name = &m.item.sig.ident;
    for (n, column) in not_null {
        let Some(Bind::Arg(arg)) = x.binds.get(n - 1) else { continue };
        let Some(a) = m.args.iter().find(|a| a.ident == arg) else { continue };
        let ty = match &a.ty {
            Type::Reference(r) => &*r.elem,
            t => t,
        };
        if !is_option(ty) {
            continue;
        }
        let inner = pretty(option_inner(ty));
        errors.push(
            &a.ty,
            format!(
                "`{name}` writes `{arg}: {}` into `{column}`, which is NOT NULL in the migrations: `None` would fail",
                pretty(&a.ty)
            ),
            format!(
                "take `{arg}: {inner}`, or write `COALESCE(@{arg}, …)` with a value for `None`, or drop NOT NULL from `{column}` in a migration; the statement is: {}",
                x.sql
            ),
        );
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
        let Some(Bind::Arg(arg)) = x.binds.get(n - 1) else { continue };
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
pub(super) fn listing(method: &str, sql: &str, checked: &Checked) -> TokenStream {
    let (cols, params) = (checked.columns.as_deref(), &checked.params);
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
