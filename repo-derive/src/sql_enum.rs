//! `#[derive(SqlEnum)]`: fieldless enums stored as an integer (`#[sql_enum(int)]`, the
//! default; the Rust discriminants are the stored values) or as text (`#[sql_enum(text)]`;
//! variant names in snake_case unless renamed).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Expr, ExprLit, ExprUnary, Lit, LitStr, UnOp};

use crate::diag::{Errors, list};
use crate::entity::snake_case;

#[derive(Clone, Copy, PartialEq)]
enum Repr {
    Int,
    Text,
}

fn discriminant(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse().ok(),
        Expr::Unary(ExprUnary { op: UnOp::Neg(_), expr, .. }) => discriminant(expr).map(|v| -v),
        Expr::Group(g) => discriminant(&g.expr),
        Expr::Paren(p) => discriminant(&p.expr),
        _ => None,
    }
}

pub(crate) fn expand_sql_enum(input: DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let ident = &input.ident;
    let mut repr = Repr::Int;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("sql_enum")) {
        let res = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("int") {
                repr = Repr::Int;
            } else if meta.path.is_ident("text") {
                repr = Repr::Text;
            } else {
                let name = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
                errors.push(
                    &meta.path,
                    format!("unknown sql_enum attribute `{name}` on an enum"),
                    format!("valid: {}", list(["int", "text"])),
                );
            }
            Ok(())
        });
        if let Err(e) = res {
            errors.push_error(e);
        }
    }
    let Data::Enum(data) = &input.data else {
        errors.push(
            ident,
            "`#[derive(SqlEnum)]` only works on enums",
            "for structs mapped to tables, use `#[derive(Entity)]`",
        );
        return errors.to_compile_errors();
    };
    if data.variants.is_empty() {
        errors.push(
            ident,
            format!("`{ident}` has no variants to store"),
            "add at least one variant",
        );
    }
    let mut next = 0i64;
    let mut values: Vec<(syn::Ident, i64, String)> = Vec::new();
    for v in &data.variants {
        if !v.fields.is_empty() {
            errors.push(&v.ident, format!("variant `{}` has fields", v.ident), "a SqlEnum is stored as one integer or text value: only fieldless variants are allowed");
        }
        let mut name = snake_case(&v.ident.to_string());
        for attr in v.attrs.iter().filter(|a| a.path().is_ident("sql_enum")) {
            let res = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    let lit: LitStr = meta.value()?.parse()?;
                    name = lit.value();
                } else {
                    let n = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
                    errors.push(
                        &meta.path,
                        format!("unknown sql_enum attribute `{n}` on a variant"),
                        format!("valid: {}", list(["rename"])),
                    );
                }
                Ok(())
            });
            if let Err(e) = res {
                errors.push_error(e);
            }
        }
        if let Some((_, expr)) = &v.discriminant {
            match discriminant(expr) {
                Some(d) => next = d,
                None => errors.push(
                    expr,
                    "the discriminant of a SqlEnum must be an integer literal",
                    "write e.g. `Admin = 99`",
                ),
            }
        }
        if repr == Repr::Text && values.iter().any(|(_, _, n)| *n == name) {
            errors.push(
                &v.ident,
                format!("two variants are stored as `{name}`"),
                "give one of them `#[sql_enum(rename = \"…\")]`",
            );
        }
        values.push((v.ident.clone(), next, name));
        next = next.wrapping_add(1);
    }
    if !errors.is_empty() {
        return errors.to_compile_errors();
    }
    let p = quote!(::repo_runtime::__private);
    let type_name = ident.to_string();
    let idents: Vec<_> = values.iter().map(|(i, _, _)| i).collect();
    let stored = match repr {
        Repr::Int => quote!(Int),
        Repr::Text => quote!(Text),
    };
    let (to_sql, from_sql, accepts, array) = match repr {
        Repr::Int => {
            let nums: Vec<_> = values.iter().map(|(_, n, _)| n).collect();
            (
                quote!(#p::int_to_sql(match self { #(Self::#idents => #nums,)* }, ty, out)),
                quote!(match #p::int_from_sql(ty, raw)? {
                    #(#nums => ::core::result::Result::Ok(Self::#idents),)*
                    other => ::core::result::Result::Err(#p::invalid(#type_name, other)),
                }),
                quote!(#p::int_accepts(ty)),
                quote!(INT4_ARRAY),
            )
        }
        Repr::Text => {
            let names: Vec<_> = values.iter().map(|(_, _, n)| n).collect();
            (
                quote!(#p::text_to_sql(match self { #(Self::#idents => #names,)* }, out)),
                quote!(match #p::text_from_sql(raw)? {
                    #(#names => ::core::result::Result::Ok(Self::#idents),)*
                    other => ::core::result::Result::Err(#p::invalid(#type_name, other)),
                }),
                quote!(#p::text_accepts(ty)),
                quote!(TEXT_ARRAY),
            )
        }
    };
    quote! {
        #[automatically_derived]
        impl #p::ToSql for #ident {
            fn to_sql(&self, ty: &#p::Type, out: &mut #p::BytesMut) -> ::core::result::Result<#p::IsNull, #p::BoxError> {
                #to_sql
            }

            fn accepts(ty: &#p::Type) -> bool {
                #accepts
            }

            #p::to_sql_checked!();
        }

        #[automatically_derived]
        impl<'a> #p::FromSql<'a> for #ident {
            fn from_sql(ty: &#p::Type, raw: &'a [u8]) -> ::core::result::Result<Self, #p::BoxError> {
                #from_sql
            }

            fn accepts(ty: &#p::Type) -> bool {
                #accepts
            }
        }

        #[automatically_derived]
        impl ::repo_runtime::FromRow for #ident {
            const WIDTH: ::core::option::Option<usize> = ::core::option::Option::Some(1);

            fn accepts_column(index: usize, ty: &#p::Type) -> bool {
                index == 0 && #accepts
            }

            #[inline]
            fn from_row(row: &#p::Row) -> ::repo_runtime::Result<Self> {
                ::repo_runtime::__private::column(row, 0)
            }

            #[inline]
            fn from_row_opt(row: &#p::Row) -> ::repo_runtime::Result<::core::option::Option<Self>> {
                ::repo_runtime::__private::column(row, 0)
            }
        }

        #[automatically_derived]
        impl ::repo_runtime::UnnestType for #ident {
            const ARRAY_TYPE: #p::Type = #p::Type::#array;
        }

        #[automatically_derived]
        impl #p::StoredAs for #ident {
            const STORED: #p::Stored = #p::Stored::#stored;
        }
    }
}
