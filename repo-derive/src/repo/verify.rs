//! The `verify()` steps and the statement statics, for user methods and CRUD alike: each
//! statement as the runtime takes it (`static QUERY: Query`), and the step that prepares it on
//! the live database and compares its parameter and column types with the Rust ones.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::model::{Method, Returns};
use crate::diag::pretty;
use crate::template::{ArrayPart, Bind, Expanded};

/// How one `$n` is bound, for a method's call and its `verify()` step alike.
pub(super) struct BoundParam {
    /// A `let` that builds the value first (a batch's columns).
    pub prelude: Option<TokenStream>,
    /// The value passed.
    pub expr: TokenStream,
    /// The Rust type `verify()` checks against the parameter's type.
    pub rust: Type,
    /// The parameter's type, stated when preparing (a batch's arrays, numbered first).
    pub explicit: Option<TokenStream>,
}

/// The parameter `bind` stands for. `arg` gives a method argument's identifier (with the user's
/// span) and type; `None` when no argument has that name (reported elsewhere).
pub(super) fn bound_param(
    bind: &Bind,
    arg: &dyn Fn(&str) -> Option<(Ident, Type)>,
    field_types: &HashMap<String, Type>,
) -> Option<BoundParam> {
    let p = quote!(::repo_runtime::__private);
    let simple = |expr, rust| BoundParam { prelude: None, expr, rust, explicit: None };
    Some(match bind {
        Bind::Arg(a) => {
            let (id, ty) = arg(a)?;
            simple(quote_spanned!(id.span()=> #p::Param::param(&#id)), ty)
        }
        Bind::Field { arg: a, field } => {
            let (id, _) = arg(a)?;
            let f = format_ident!("{}", field, span = id.span());
            simple(
                quote_spanned!(id.span()=> #p::Param::param(&#id.#f)),
                field_types.get(field)?.clone(),
            )
        }
        Bind::Column { arg: a, field } => {
            let (id, _) = arg(a)?;
            let ty = field_types.get(field)?;
            let (f, var) = (format_ident!("{}", field), format_ident!("__column_{}", field));
            BoundParam {
                prelude: Some(quote_spanned! {ty.span()=>
                    let #var: ::std::vec::Vec<&#ty> = #id.iter().map(|row| &row.#f).collect();
                }),
                expr: quote!(&#var),
                rust: syn::parse_quote!(::std::vec::Vec<&#ty>),
                explicit: Some(
                    quote_spanned!(ty.span()=> <#ty as ::repo_runtime::UnnestType>::ARRAY_TYPE),
                ),
            }
        }
        Bind::Array { arg: a, field, part } => {
            let (id, _) = arg(a)?;
            let ty = field_types.get(field)?;
            let (f, var) = (format_ident!("{}", field), format_ident!("__array_{}", field));
            let element = quote_spanned!(ty.span()=> <#ty as ::repo_runtime::ArrayField>::Element);
            let positions = || syn::parse_quote!(::std::vec::Vec<::core::option::Option<i32>>);
            let int4s = || Some(quote!(#p::Type::INT4_ARRAY));
            match part {
                ArrayPart::Elements => BoundParam {
                    prelude: Some(quote_spanned! {ty.span()=>
                        let #var = #p::flatten::<#ty>(#id.iter().map(|row| &row.#f));
                    }),
                    expr: quote!(&#var.elements),
                    rust: syn::parse_quote!(::std::vec::Vec<&#element>),
                    explicit: Some(quote!(<#element as ::repo_runtime::UnnestType>::ARRAY_TYPE)),
                },
                ArrayPart::First => BoundParam {
                    prelude: None,
                    expr: quote!(&#var.first),
                    rust: positions(),
                    explicit: int4s(),
                },
                ArrayPart::Last => BoundParam {
                    prelude: None,
                    expr: quote!(&#var.last),
                    rust: positions(),
                    explicit: int4s(),
                },
            }
        }
    })
}

/// The parameter types a method's statement states when prepared: its own (a generated
/// method's key arrays), then its batch's arrays.
pub(super) fn stated_types(m: &Method, bound: &[BoundParam]) -> Vec<TokenStream> {
    m.types.iter().cloned().chain(bound.iter().filter_map(|b| b.explicit.clone())).collect()
}

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
    let arg = |name: &str| {
        m.args.iter().find(|a| a.ident == name).map(|a| (a.ident.clone(), a.ty.clone()))
    };
    let bound: Vec<BoundParam> =
        x.binds.iter().filter_map(|b| bound_param(b, &arg, field_types)).collect();
    let types = stated_types(m, &bound);
    let params: Vec<Type> = bound.into_iter().map(|b| b.rust).collect();
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
