//! Code generation for a checked repository (`valid.rs`): the implementation type and one body
//! per method, each a call into `repo_runtime::__private` with a static statement. It checks
//! nothing and cannot fail; the errors `valid.rs` collected are emitted beside the code.
//!
//! One piece: the method bodies, the `verify` steps and the implementation type are emitted
//! from the same statements of each method; the `verify()` steps and statement statics live in
//! `verify.rs`, the table of generated `Crud` methods in `crud.rs`.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::crud::CrudTable;
use super::model::{Method, RepoTrait, Returns, send_signature};
use super::valid::{Call, Checked, Statements, Variant};
use super::verify::{BoundParam, bound_param, query_static, stated_types, verify_step};
use crate::template::CondKind;

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

/// The call for one statement of a method: a block that evaluates to the runtime's result.
fn variant_call(
    m: &Method,
    v: &Variant,
    owner: &Ident,
    field_types: &HashMap<String, Type>,
) -> TokenStream {
    let p = quote!(::repo_runtime::__private);
    let label = format!("{owner}::{}", m.item.sig.ident);
    let x = &v.x;

    // Batch columns are built first (`Vec<&FieldType>` per `<<unnest>>` field, numbered first).
    let arg = |n: &str| {
        let id = arg_ident(m, n);
        let ty = m.args.iter().find(|a| a.ident == n).map(|a| a.ty.clone());
        Some((id, ty.unwrap_or_else(|| syn::parse_quote!(()))))
    };
    let bound: Vec<BoundParam> =
        x.binds.iter().filter_map(|b| bound_param(b, &arg, field_types)).collect();
    let columns: Vec<&TokenStream> = bound.iter().filter_map(|b| b.prelude.as_ref()).collect();
    let types = stated_types(m, &bound);
    let params: Vec<&TokenStream> = bound.iter().map(|b| &b.expr).collect();

    // `self` is hygienic: it must carry the span of the user's `&self`, not the macro's.
    let this = match m.item.sig.inputs.first() {
        Some(syn::FnArg::Receiver(r)) => r.self_token,
        _ => syn::Token![self](m.item.sig.ident.span()),
    };
    let source = quote!(::repo_runtime::Executor::source(&#this.executor));
    // Spanned on the row type, so an unreadable row type is reported there, once.
    let read = |kind: TokenStream, t: &Type| {
        quote_spanned! {t.span()=>
            ::repo_runtime::__private::#kind::<#t>(#source, &QUERY, &[#(#params),*]).await
        }
    };
    let execute = quote!(#p::execute(#source, &QUERY, &[#(#params),*]).await);
    let call = match &v.call {
        Call::Unit => quote!(#execute.map(|_| ())),
        Call::Affected => execute,
        Call::One(t) => read(quote!(one), t),
        Call::Opt(t) => read(quote!(opt), t),
        Call::Many(t) => read(quote!(all), t),
        Call::Stream(t) => read(quote!(stream), t),
        Call::Page(t, paging) => {
            let offset_ident = arg_ident(m, &paging.offset_arg);
            let offset = paging.offset_param;
            let limit = match paging.limit_param {
                Some(i) => quote!(::core::option::Option::Some(#i)),
                None => quote!(::core::option::Option::None),
            };
            quote_spanned! {t.span()=>
                ::repo_runtime::__private::page::<#t>(#source, &QUERY, &[#(#params),*], ::repo_runtime::__private::Paging {
                    offset: ::core::convert::Into::<i64>::into(#offset_ident),
                    offset_param: #offset,
                    limit_param: #limit,
                }).await
            }
        }
    };
    let query = query_static("QUERY", &label, &x.sql, &types);
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
    st: &Statements,
    owner: &Ident,
    field_types: &HashMap<String, Type>,
) -> TokenStream {
    let calls: Vec<TokenStream> =
        st.variants.iter().map(|v| variant_call(m, v, owner, field_types)).collect();
    let dispatch = if let [only] = calls.as_slice() {
        only.clone()
    } else {
        let bits = st.conditions.iter().enumerate().map(|(i, c)| {
            let id = arg_ident(m, &c.arg);
            let test = match c.kind {
                CondKind::Some => quote_spanned!(id.span()=> ::repo_runtime::__private::OptionalArg::is_present(&#id)),
                CondKind::Any => quote_spanned!(id.span()=> ::repo_runtime::__private::ManyArg::has_any(&#id)),
            };
            quote!((usize::from(#test) << #i))
        });
        // Every combination has a statement: the last one is the rest.
        let last = calls.len() - 1;
        let arms = calls
            .iter()
            .enumerate()
            .map(|(i, c)| if i == last { quote!(_ => #c,) } else { quote!(#i => #c,) });
        quote! {
            match 0usize #(| #bits)* {
                #(#arms)*
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

/// A body for a method that failed a check, so its errors are not buried under "method not
/// implemented".
fn stub(m: &Method) -> TokenStream {
    let sig = send_signature(&m.item);
    quote!(#sig { async move { ::core::unreachable!() } })
}

/// The implementation, from a checked repository: emits, never checks.
pub(super) fn emit(
    repo: &RepoTrait,
    checked: Checked<'_>,
    crud: Option<&CrudTable>,
    name: &Ident,
    entity_ident: &Ident,
    field_types: &HashMap<String, Type>,
) -> TokenStream {
    let trait_name = &repo.item.ident;
    let vis = &repo.item.vis;
    let Checked { methods, user_methods, width_checks, shape_checks, inferred, errors } = checked;
    let mut bodies = methods.iter().map(|c| match &c.statements {
        Some(st) => method_body(c.method, st, c.owner, field_types),
        None => stub(c.method),
    });
    let user_bodies: Vec<TokenStream> = bodies.by_ref().take(user_methods).collect();
    let crud_bodies: Vec<TokenStream> = bodies.collect();
    // Every statement of every method, one entry per optional-clause variant.
    let mut all_sql: Vec<(String, String)> = methods
        .iter()
        .flat_map(|c| {
            let method = c.method.item.sig.ident.to_string();
            c.statements
                .iter()
                .flat_map(|st| &st.variants)
                .map(move |v| (method.clone(), v.x.sql.clone()))
        })
        .collect();
    if let Some(c) = crud {
        all_sql.push(("copy_in".into(), c.copy_sql.clone()));
    }
    let each_sql = || all_sql.iter();
    let statements = each_sql().map(|(method, sql)| quote!((#method, #sql)));
    let verify_steps: Vec<TokenStream> = methods
        .iter()
        .flat_map(|c| {
            c.statements
                .iter()
                .flat_map(|st| &st.variants)
                .map(|v| verify_step(c.method, &v.x, c.owner, field_types, v.listed))
        })
        .chain(crud.map(|c| c.copy_verify.clone()))
        .collect();
    let crud_impl = crud.map(|c| {
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
