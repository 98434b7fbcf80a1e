//! The `verify()` steps and the statement statics, for user methods and CRUD alike: each
//! statement as the runtime takes it (`static QUERY: Query`), and the step that prepares it on
//! the live database and compares its parameter and column types with the Rust ones.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Ident, Type};

use super::model::{Method, Returns};
use crate::diag::pretty;
use crate::template::{Bind, Expanded};

/// The `verify()` step for one method: its statement with the Rust types of what it binds
/// and reads.
pub(super) fn verify_step(
    m: &Method,
    x: &Expanded,
    trait_name: &Ident,
    field_types: &HashMap<String, Type>,
    listed: Option<usize>,
) -> TokenStream {
    let inferred = match listed {
        Some(k) => quote!(::core::option::Option::Some(&Self::INFERRED[#k])),
        None => quote!(::core::option::Option::None),
    };
    let label = format!("{trait_name}::{}", m.item.sig.ident);
    let arg_ty = |name: &str| m.args.iter().find(|a| a.ident == name).map(|a| a.ty.clone());
    let mut types = Vec::new();
    let params: Vec<Type> = x
        .binds
        .iter()
        .filter_map(|b| match b {
            Bind::Arg(a) => arg_ty(a),
            Bind::Field { field, .. } => field_types.get(field).cloned(),
            Bind::Column { field, .. } => {
                let f = field_types.get(field)?;
                types.push(quote!(<#f as ::repo_runtime::UnnestType>::ARRAY_TYPE));
                Some(syn::parse_quote!(::std::vec::Vec<&#f>))
            }
        })
        .collect();
    let rows = match &m.returns {
        Returns::One(t)
        | Returns::Opt(t)
        | Returns::Many(t)
        | Returns::Stream(t)
        | Returns::Page(t) => Some((t, usize::from(matches!(m.returns, Returns::Page(_))))),
        Returns::Unit | Returns::Affected => None,
    };
    check_step(&label, &x.sql, &types, &params, rows, &inferred)
}

/// One step of `verify()`, for user methods and CRUD alike: the statement (`label`, `sql`,
/// explicit parameter `types`), the Rust type bound to each parameter, and the row type read
/// with how many trailing columns it leaves (a page's total).
pub(super) fn check_step(
    label: &str,
    sql: &str,
    types: &[TokenStream],
    params: &[Type],
    rows: Option<(&Type, usize)>,
    inferred: &TokenStream,
) -> TokenStream {
    let p = quote!(::repo_runtime::__private);
    let params = params.iter().map(|ty| {
        let shown = pretty(ty);
        quote!(#p::ParamCheck { accepts: <#ty as #p::Param>::accepts, rust: #shown })
    });
    let rows = match rows {
        Some((t, extra)) => {
            let shown = pretty(t);
            quote!(::core::option::Option::Some(#p::RowCheck::of::<#t>(#extra, #shown)))
        }
        None => quote!(::core::option::Option::None),
    };
    let query = query_static("QUERY", label, sql, types);
    quote! {{
        #query
        report.check(&conn, &QUERY, &[#(#params),*], #rows, #inferred).await;
    }}
}

/// `static NAME: Query = …;`: a statement as the runtime takes it, for a method's call and
/// its `verify()` step alike.
pub(super) fn query_static(
    name: &str,
    label: &str,
    sql: &str,
    types: &[TokenStream],
) -> TokenStream {
    let p = quote!(::repo_runtime::__private);
    let name = format_ident!("{name}");
    quote!(static #name: #p::Query = #p::Query { method: #label, sql: #sql, types: &[#(#types),*] };)
}
