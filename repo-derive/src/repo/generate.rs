//! Code generation for a checked repository trait: the implementation type and one body per
//! method, each a call into `repo_runtime::__private` with a static statement.
//!
//! One piece: the method bodies, the `verify` steps and the implementation type are emitted
//! from the same expansion of each method; the typed check lives in `typed.rs`, the `verify()`
//! steps and statement statics in `verify.rs`, the generated `Crud` methods in `crud.rs`.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::model::{Method, RepoArgs, RepoTrait, Returns, send_signature};
use super::typed::Typing;
use super::verify::{BoundParam, bound_param, query_static, verify_step};
use crate::check::syntax;
use crate::diag::{Errors, pretty};
use crate::template::{ArrayPart, Bind, CondKind, EntityInfo, Expanded, Expansion, expand};

/// `Vec<T>` other than `Vec<u8>` (bytea), or an `Option` of one: a PostgreSQL array.
pub(super) fn is_array(ty: &Type) -> bool {
    array_element(ty).is_some()
}

/// The `T` of an array-valued type (see [`is_array`]).
fn array_element(ty: &Type) -> Option<Type> {
    let ty = &crate::diag::declared(ty);
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    let inner = match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    match (seg.ident.to_string().as_str(), inner) {
        ("Option", Some(t)) => array_element(t),
        ("Vec", Some(Type::Path(t))) if t.path.is_ident("u8") => None,
        ("Vec", Some(t)) => Some(t.clone()),
        _ => None,
    }
}

/// Gives every elided or `'_` lifetime in `ty` the name `'__arg`, so the type can stand in a
/// `for<'__arg>` bound; returns whether there was one.
fn name_elided_lifetimes(ty: &mut Type) -> bool {
    let named = |l: &mut Option<syn::Lifetime>| {
        let elided = l.as_ref().is_none_or(|l| l.ident == "_");
        if elided {
            *l = Some(syn::Lifetime::new("'__arg", proc_macro2::Span::call_site()));
        }
        elided
    };
    match ty {
        Type::Reference(r) => {
            let here = named(&mut r.lifetime);
            name_elided_lifetimes(&mut r.elem) | here
        }
        Type::Slice(s) => name_elided_lifetimes(&mut s.elem),
        Type::Array(a) => name_elided_lifetimes(&mut a.elem),
        Type::Group(g) => name_elided_lifetimes(&mut g.elem),
        Type::Paren(p) => name_elided_lifetimes(&mut p.elem),
        Type::Tuple(t) => t.elems.iter_mut().fold(false, |acc, e| name_elided_lifetimes(e) | acc),
        Type::Path(p) => {
            let mut any = false;
            for seg in &mut p.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &mut seg.arguments {
                    for arg in &mut args.args {
                        match arg {
                            syn::GenericArgument::Type(t) => any |= name_elided_lifetimes(t),
                            syn::GenericArgument::Lifetime(l) if l.ident == "_" => {
                                *l = syn::Lifetime::new("'__arg", l.span());
                                any = true;
                            }
                            _ => {}
                        }
                    }
                }
            }
            any
        }
        _ => false,
    }
}

/// How many columns a row type reads, when its shape says so.
fn row_arity(ty: &Type, entity: &Ident, entity_columns: usize) -> Option<usize> {
    match ty {
        Type::Tuple(t) => Some(t.elems.len()),
        Type::Group(g) => row_arity(&g.elem, entity, entity_columns),
        Type::Path(p) => {
            let seg = p.path.segments.last()?;
            let id = seg.ident.to_string();
            const SCALARS: &[&str] = &[
                "bool",
                "i8",
                "i16",
                "i32",
                "i64",
                "u32",
                "f32",
                "f64",
                "String",
                "DateTime",
                "NaiveDateTime",
                "NaiveDate",
                "NaiveTime",
                "Uuid",
                "Decimal",
                "Value",
                "Json",
                "Vec",
                "Option",
            ];
            if seg.ident == *entity {
                Some(entity_columns)
            } else if SCALARS.contains(&id.as_str()) {
                Some(1)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Parses the expanded statement and compares its select list with the row type. For a row
/// type whose width only the compiler knows (another entity, a `FromRow` struct), returns a
/// constant that compares it with the select list while compiling.
fn check_statement(
    m: &Method,
    x: &Expanded,
    entity: &Ident,
    entity_columns: usize,
    typing: Option<&Typing<'_>>,
    // The `INFERRED` entries, and the constants checking derived row types.
    out: &mut (Vec<TokenStream>, Vec<TokenStream>),
    errors: &mut Errors,
) -> Option<TokenStream> {
    let sql = x.sql.as_str();
    let name = &m.item.sig.ident;
    let statements = match syntax::check(sql) {
        Ok(s) => s,
        Err(d) => {
            errors.push(&m.sql_attr, format!("`{name}`: {}", d.message), &d.help);
            return None;
        }
    };
    if let (Some(typing), [statement]) = (typing, statements.as_slice()) {
        let checked = super::typed::check(m, x, statement, typing, entity, &mut out.1, errors);
        let listed = super::typed::listing(&name.to_string(), sql, &checked);
        out.0.push(listed);
    }
    let (row, extra) = match &m.returns {
        Returns::One(t) | Returns::Opt(t) | Returns::Many(t) | Returns::Stream(t) => (t, 0),
        // Without `<<total>>` the page has its own error.
        Returns::Page(t) if x.has_total => (t, 1),
        Returns::Page(_) | Returns::Unit | Returns::Affected => return None,
    };
    let selected = syntax::output_arity(&statements)?;
    let Some(wanted) = row_arity(row, entity, entity_columns) else {
        if !matches!(row, Type::Path(_)) || selected < extra {
            return None;
        }
        let own = selected - extra;
        let total = if extra == 1 { " plus `<<total>>`" } else { "" };
        let message = format!(
            "`{name}` reads rows of `{}`, but its statement returns {own} column{}{total}, \
             another number than `{}` reads; make the select list and the row type agree; the \
             statement is: {sql}",
            pretty(row),
            if own == 1 { "" } else { "s" },
            pretty(row),
        );
        return Some(quote_spanned! {row.span()=>
            const _: () = ::repo_runtime::__private::assert_width::<#row>(#own, #message);
        });
    };
    if selected != wanted + extra {
        let total = if extra == 1 { " plus `<<total>>`" } else { "" };
        errors.push(
            &m.sql_attr,
            format!(
                "`{name}` reads rows of `{}` ({wanted} column{}{total}), but its statement returns {selected} column{}",
                pretty(row),
                if wanted == 1 { "" } else { "s" },
                if selected == 1 { "" } else { "s" },
            ),
            format!("make the select list and the row type agree; the statement is: {sql}"),
        );
    }
    None
}

/// One method's expansion: its statement and the body calling the runtime.
struct Generated {
    /// One statement per variant.
    sql: Vec<String>,
    body: TokenStream,
    verify: Vec<TokenStream>,
}

/// The call for one variant of a method's statement: a block that evaluates to the
/// runtime's result.
fn variant_call(
    m: &Method,
    x: &Expanded,
    trait_name: &Ident,
    field_types: &HashMap<String, Type>,
    errors: &mut Errors,
) -> TokenStream {
    let p = quote!(::repo_runtime::__private);
    let name = &m.item.sig.ident;
    let label = format!("{trait_name}::{name}");
    let sql = &x.sql;
    let arg_ident = |n: &str| arg_ident(m, n);

    // Batch columns are built first (`Vec<&FieldType>` per `<<unnest>>` field, numbered first).
    let arg = |n: &str| {
        let id = arg_ident(n);
        let ty = m.args.iter().find(|a| a.ident == n).map(|a| a.ty.clone());
        Some((id, ty.unwrap_or_else(|| syn::parse_quote!(()))))
    };
    for b in &x.binds {
        let Bind::Array { field, part: ArrayPart::Elements, .. } = b else { continue };
        let ty = &field_types[field];
        if array_element(ty).is_some_and(|t| is_array(&t)) {
            errors.push(
                &m.sql_attr,
                format!("`<<unnest>>` cannot batch-insert field `{field}` of type `{}`, an array of arrays", pretty(ty)),
                format!("a batch sends each array-valued field as its rows' elements laid end to end, and these elements are arrays themselves; leave it out with `--exclude {field}` (in `<<columns>>` too) or insert those rows one by one"),
            );
        }
    }
    let bound: Vec<BoundParam> =
        x.binds.iter().filter_map(|b| bound_param(b, &arg, field_types)).collect();
    let columns: Vec<&TokenStream> = bound.iter().filter_map(|b| b.prelude.as_ref()).collect();
    let types: Vec<TokenStream> =
        m.types.iter().cloned().chain(bound.iter().filter_map(|b| b.explicit.clone())).collect();
    let params: Vec<&TokenStream> = bound.iter().map(|b| &b.expr).collect();

    // `self` is hygienic: it must carry the span of the user's `&self`, not the macro's.
    let this = match m.item.sig.inputs.first() {
        Some(syn::FnArg::Receiver(r)) => r.self_token,
        _ => syn::Token![self](m.item.sig.ident.span()),
    };
    // Spanned on the row type, so an unreadable row type is reported there, once.
    let call = |kind: TokenStream, row: Option<&Type>| match row {
        Some(t) => quote_spanned! {t.span()=>
            ::repo_runtime::__private::#kind::<#t>(::repo_runtime::Executor::source(&#this.executor), &QUERY, &[#(#params),*]).await
        },
        None => {
            quote!(#p::#kind(::repo_runtime::Executor::source(&#this.executor), &QUERY, &[#(#params),*]).await)
        }
    };
    let call = match &m.returns {
        Returns::Unit => {
            let c = call(quote!(execute), None);
            quote!(#c.map(|_| ()))
        }
        Returns::Affected => call(quote!(execute), None),
        Returns::One(t) => call(quote!(one), Some(t)),
        Returns::Opt(t) => call(quote!(opt), Some(t)),
        Returns::Many(t) => call(quote!(all), Some(t)),
        Returns::Stream(t) => call(quote!(stream), Some(t)),
        Returns::Page(t) => {
            let (Some(offset), true) = (x.offset_bind, x.has_total) else {
                errors.push(
                    &m.sql_attr,
                    format!("`{name}` returns a `Page`, so its template must select `<<total>>` last and end with `<<paginate>>`"),
                    "write e.g. `SELECT <<columns>>, <<total>> FROM <<table>> <<orderby:id>> <<paginate>>` with `limit: i64, offset: i64` arguments",
                );
                return TokenStream::new();
            };
            let Bind::Arg(offset_arg) = &x.binds[offset] else {
                unreachable!("OFFSET binds an argument")
            };
            let offset_ident = arg_ident(offset_arg);
            let limit = match x.limit_bind {
                Some(i) => quote!(::core::option::Option::Some(#i)),
                None => quote!(::core::option::Option::None),
            };
            quote_spanned! {t.span()=>
                ::repo_runtime::__private::page::<#t>(::repo_runtime::Executor::source(&#this.executor), &QUERY, &[#(#params),*], ::repo_runtime::__private::Paging {
                    offset: ::core::convert::Into::<i64>::into(#offset_ident),
                    offset_param: #offset,
                    limit_param: #limit,
                }).await
            }
        }
    };
    let query = query_static("QUERY", &label, sql, &types);
    quote! {{
        #query
        #(#columns)*
        #call
    }}
}

/// The argument named `name`, with the user's span.
fn arg_ident(m: &Method, name: &str) -> Ident {
    m.args
        .iter()
        .find(|a| a.ident == name)
        .map(|a| a.ident.clone())
        .unwrap_or_else(|| format_ident!("{}", name))
}

/// A method's body: its one statement, or a `match` choosing among the statements of its
/// optional clauses by which conditions hold.
fn method_body(
    m: &Method,
    exp: &Expansion,
    trait_name: &Ident,
    field_types: &HashMap<String, Type>,
    errors: &mut Errors,
) -> TokenStream {
    let calls: Vec<TokenStream> =
        exp.variants.iter().map(|x| variant_call(m, x, trait_name, field_types, errors)).collect();
    let dispatch = if let [only] = calls.as_slice() {
        only.clone()
    } else {
        let bits = exp.conditions.iter().enumerate().map(|(i, c)| {
            let id = arg_ident(m, &c.arg);
            let test = match c.kind {
                CondKind::Some => quote_spanned!(id.span()=> ::repo_runtime::__private::OptionalArg::is_present(&#id)),
                CondKind::Any => quote_spanned!(id.span()=> ::repo_runtime::__private::ManyArg::has_any(&#id)),
            };
            quote!((usize::from(#test) << #i))
        });
        let arms = calls.iter().enumerate().map(|(i, c)| quote!(#i => #c,));
        quote! {
            match 0usize #(| #bits)* {
                #(#arms)*
                _ => ::core::unreachable!("every combination of conditions has a statement"),
            }
        }
    };
    let sig = send_signature(&m.item);
    let (output, prelude) = (&m.output, &m.prelude);
    quote! {
        #sig {
            async move {
                #prelude
                let result: #output = #dispatch.map_err(::core::convert::Into::into);
                result
            }
        }
    }
}

/// A body for a method whose template failed, so the errors are not buried under
/// "method not implemented".
fn stub(m: &Method) -> TokenStream {
    let sig = send_signature(&m.item);
    quote!(#sig { async move { ::core::unreachable!() } })
}

pub(super) fn generate(
    repo: &RepoTrait,
    args: &RepoArgs,
    entity: &EntityInfo,
    field_types: &HashMap<String, Type>,
    entity_ident: &Ident,
    typing: Option<&Typing<'_>>,
) -> TokenStream {
    let trait_name = &repo.item.ident;
    let vis = &repo.item.vis;
    let name = args.name.clone().unwrap_or_else(|| format_ident!("Pg{}", trait_name));
    let mut errors = Errors::default();
    let mut generated = Vec::new();
    let mut width_checks = Vec::new();
    let mut typed = (Vec::new(), Vec::new());
    if args.crud.is_some() {
        for m in &repo.methods {
            let name = m.item.sig.ident.to_string();
            if super::crud::METHODS.contains(&name.as_str()) {
                errors.push(
                    &m.item.sig.ident,
                    format!("method `{name}` has the name of a generated `Crud` method, so calls would be ambiguous"),
                    format!("rename it (for example `{name}_by_…`), or leave out `crud`; the generated methods are {}", crate::diag::list(super::crud::METHODS)),
                );
            }
        }
    }
    let crud = args.crud.as_ref().and_then(|token| {
        super::crud::table(token, &name, entity, entity_ident, field_types, &mut errors)
    });
    let crud_methods = crud.iter().flat_map(|c| &c.methods);
    // The user's methods are labelled by the trait, the generated ones by the implementation.
    let methods: Vec<(&Method, &Ident)> = repo
        .methods
        .iter()
        .map(|m| (m, trait_name))
        .chain(crud_methods.map(|m| (m, &name)))
        .collect();
    for &(m, owner) in &methods {
        let arg_info: Vec<_> = m
            .args
            .iter()
            .map(|a| crate::template::ArgInfo { name: a.ident.to_string(), kind: a.kind })
            .collect();
        match expand(&m.sql.value(), entity, &arg_info) {
            Ok(exp) => {
                let mut local = Errors::default();
                // Each variant's entry in `INFERRED`, for its `verify()` step.
                let mut listed = vec![None; exp.variants.len()];
                if !m.unchecked {
                    for (x, listed) in exp.variants.iter().zip(&mut listed) {
                        let before = typed.0.len();
                        width_checks.extend(check_statement(
                            m,
                            x,
                            entity_ident,
                            entity.fields.len(),
                            typing,
                            &mut typed,
                            &mut local,
                        ));
                        *listed = (typed.0.len() > before).then_some(before);
                    }
                }
                let body = method_body(m, &exp, owner, field_types, &mut local);
                if local.is_empty() {
                    let verify = exp
                        .variants
                        .iter()
                        .zip(listed)
                        .map(|(x, listed)| verify_step(m, x, owner, field_types, listed))
                        .collect();
                    let sql = exp.variants.into_iter().map(|x| x.sql).collect();
                    generated.push(Some(Generated { sql, body, verify }));
                } else {
                    errors.push_error(local.finish().expect_err("errors were recorded"));
                    generated.push(None);
                }
            }
            Err(diags) => {
                for d in diags {
                    errors.push(&m.sql_attr, &d.message, &d.help);
                }
                generated.push(None);
            }
        }
    }
    let (inferred, shape_checks) = typed;
    let mut bodies = methods.iter().zip(&generated).map(|((m, _), g)| match g {
        Some(g) => g.body.clone(),
        None => stub(m),
    });
    let user_bodies: Vec<TokenStream> = bodies.by_ref().take(repo.methods.len()).collect();
    let crud_bodies: Vec<TokenStream> = bodies.collect();
    // Every statement of every method, one entry per optional-clause variant.
    let mut all_sql: Vec<(String, String)> = methods
        .iter()
        .zip(&generated)
        .flat_map(|((m, _), g)| {
            let method = m.item.sig.ident.to_string();
            g.iter().flat_map(|g| g.sql.iter()).map(move |sql| (method.clone(), sql.clone()))
        })
        .collect();
    if let Some(c) = &crud {
        all_sql.push(("copy_in".into(), c.copy_sql.clone()));
    }
    let each_sql = || all_sql.iter();
    let statements = each_sql().map(|(method, sql)| quote!((#method, #sql)));
    let verify_steps = generated
        .iter()
        .flatten()
        .flat_map(|g| &g.verify)
        .chain(crud.iter().map(|c| &c.copy_verify));
    let crud_impl = crud.as_ref().map(|c| {
        let (key_ty, copy_in) = (&c.key_ty, &c.copy_in);
        quote! {
            #[automatically_derived]
            impl<E: ::repo_runtime::Executor> ::repo_runtime::Crud for #name<E> {
                type Entity = #entity_ident;
                type Key = #key_ty;

                #(#crud_bodies)*

                #copy_in
            }
        }
    });
    let sql_docs = each_sql().map(|(method, sql)| {
        let line = format!(" - `{method}`: `{sql}`");
        quote!(#[doc = #line])
    });
    let summary = format!(
        " PostgreSQL implementation of [`{trait_name}`] for [`{entity_ident}`], generated by `#[repository_for]`."
    );
    let compile_errors = errors.to_compile_errors();
    // Every argument and row type, stated once per impl with the user's spans: a type that is
    // not `ToSql`/`FromRow` is then reported once, here, instead of once per use.
    let mut bound_list: Vec<TokenStream> = Vec::new();
    for m in &repo.methods {
        for a in m.args.iter().filter(|a| a.kind == crate::template::ArgKind::Scalar) {
            let ty = &a.ty;
            let mut named = ty.clone();
            let hrtb = name_elided_lifetimes(&mut named).then(|| quote!(for<'__arg>));
            let b = quote_spanned!(crate::diag::type_span(ty)=> #hrtb #named: ::repo_runtime::__private::Param);
            if !bound_list.iter().any(|x| x.to_string() == b.to_string()) {
                bound_list.push(b);
            }
        }
        if let Returns::One(t)
        | Returns::Opt(t)
        | Returns::Many(t)
        | Returns::Stream(t)
        | Returns::Page(t) = &m.returns
        {
            let b = quote_spanned!(t.span()=> #t: ::repo_runtime::FromRow);
            if !bound_list.iter().any(|x| x.to_string() == b.to_string()) {
                bound_list.push(b);
            }
        }
    }
    let bounds = (!bound_list.is_empty()).then(|| quote!(where #(#bound_list,)*));
    let allow = (!errors.is_empty()).then(|| quote!(#[allow(unused_variables, unreachable_code)]));
    let impl_block = quote_spanned! {trait_name.span()=>
        #[automatically_derived]
        #allow
        impl<E: ::repo_runtime::Executor> #trait_name for #name<E> #bounds {
            #(#user_bodies)*
        }
    };

    quote! {
        #compile_errors
        #(#width_checks)*
        #(#shape_checks)*

        #[doc = #summary]
        #[doc = ""]
        #[doc = " Build it over a `deadpool_postgres::Pool` (a connection per call), a pooled client,"]
        #[doc = " a client from `repo_runtime::connect`, or a transaction (`&tx`). Statements:"]
        #[doc = ""]
        #(#sql_docs)*
        #[derive(Debug, Clone)]
        #vis struct #name<E> {
            executor: E,
        }

        impl<E> #name<E> {
            /// Every method's name and the statement it runs.
            pub const STATEMENTS: &'static [(&'static str, &'static str)] = &[#(#statements),*];

            /// What the macro inferred, from the migrations and with no database, about the
            /// columns of each statement it checked (empty when the entity is not checked
            /// against migrations). A column whose type or nullability is `None` was not
            /// decided, and is left to [`verify`](Self::verify).
            pub const INFERRED: &'static [::repo_runtime::Inferred] = &[#(#inferred),*];

            /// The executor the statements run on.
            pub fn executor(&self) -> &E {
                &self.executor
            }

            /// Gives the executor back.
            pub fn into_executor(self) -> E {
                self.executor
            }
        }

        impl<E: ::repo_runtime::Executor> #name<E> {
            /// A repository running its statements on `executor`.
            pub const fn new(executor: E) -> Self {
                Self { executor }
            }
        }

        #impl_block

        #crud_impl

        impl<E: ::repo_runtime::Executor> #name<E> #bounds {
            /// Prepares every statement of this repository on the live database and checks its
            /// parameter and column types (and column count) against the Rust types it binds
            /// and reads. Run it in tests and at startup; the report names the method and the
            /// parameter or column at fault.
            pub async fn verify(&self) -> ::repo_runtime::Result<::repo_runtime::VerifyReport> {
                let conn = ::repo_runtime::__private::Conn::acquire(::repo_runtime::Executor::source(&self.executor)).await?;
                let mut report = ::repo_runtime::VerifyReport::default();
                #(#verify_steps)*
                ::core::result::Result::Ok(report)
            }
        }
    }
}
