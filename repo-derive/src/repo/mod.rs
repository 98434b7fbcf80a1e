//! `#[repository_for(Entity)]`.
//!
//! A proc macro sees only the item it is attached to, never the entity struct. So the work is
//! done in two steps:
//! 1. `repository_for` checks the trait's shape, emits the trait with `Send` futures, and calls
//!    the hidden macro that `#[derive(Entity)]` left beside the struct — reachable at the very
//!    path the user wrote for the entity, because it shares the struct's name in the macro
//!    namespace.
//! 2. That macro calls back `repository_impl` with the entity's table and fields prepended,
//!    which expands every template and generates the implementation.
//!
//! The second step is a pipeline, as serde_derive's and thiserror's are: `model.rs` parses the
//! trait into typed, spanned methods (and `crud.rs` describes the generated `Crud` methods as
//! the same kind of methods); `valid.rs` holds every method to every rule, collecting all
//! errors, and returns the checked statements; `expand.rs` emits the code from them and cannot
//! fail.

mod crud;
mod expand;
pub(crate) mod model;
mod typed;
mod valid;
mod verify;

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Ident, ItemTrait, LitStr, Token, TraitItem, Type};

use crate::diag::Errors;
use crate::template::{EntityInfo, FieldInfo};
use model::{RepoArgs, RepoTrait, send_signature};

/// The trait as users see it: `#[sql]` removed, each method returning a `Send` future, and
/// its template in the docs.
fn public_trait(item: &ItemTrait) -> TokenStream {
    let mut item = item.clone();
    let mut methods = Vec::new();
    for ti in &mut item.items {
        if let TraitItem::Fn(m) = ti {
            let template = m
                .attrs
                .iter()
                .find(|a| a.path().is_ident("sql"))
                .and_then(|a| a.parse_args::<model::SqlArgs>().ok())
                .map(|a| a.template);
            m.attrs.retain(|a| !a.path().is_ident("sql"));
            let attrs = &m.attrs;
            let doc = template.map(|t| {
                let line = format!(" SQL template: `{}`", t.value());
                let blank = (!attrs.is_empty()).then(|| quote!(#[doc = ""]));
                quote!(#blank #[doc = #line])
            });
            let sig = send_signature(m);
            methods.push(quote!(#(#attrs)* #doc #sig;));
        }
    }
    let ItemTrait { attrs, vis, unsafety, trait_token, ident, colon_token, supertraits, .. } =
        &item;
    quote! {
        #(#attrs)*
        #vis #unsafety #trait_token #ident #colon_token #supertraits {
            #(#methods)*
        }
    }
}

pub(crate) fn expand_repository_for(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = match syn::parse2::<RepoArgs>(attr.clone()) {
        Ok(a) => Some(a),
        Err(e) => {
            errors.push_error(e);
            None
        }
    };
    let Ok(trait_item) = syn::parse2::<ItemTrait>(item.clone()) else {
        {
            let target = syn::parse2::<syn::Item>(item.clone()).ok();
            let span_of = target.as_ref().map_or_else(
                || item.clone(),
                |i| match i {
                    syn::Item::Struct(s) => s.ident.to_token_stream(),
                    syn::Item::Enum(e) => e.ident.to_token_stream(),
                    syn::Item::Fn(f) => f.sig.ident.to_token_stream(),
                    syn::Item::Impl(i) => i.self_ty.to_token_stream(),
                    other => other.to_token_stream(),
                },
            );
            errors.push(
                span_of,
                "`#[repository_for]` goes on a trait",
                "write `#[repository_for(User)] pub trait UserRepository { … }` with one `async fn` per statement",
            );
            let errs = errors.to_compile_errors();
            return quote!(#errs #item);
        }
    };
    let public = public_trait(&trait_item);
    let Some((args, entity_ident)) = args.and_then(|a| {
        let ident = a.entity.segments.last()?.ident.clone();
        Some((a, ident))
    }) else {
        let errs = errors.to_compile_errors();
        return quote!(#errs #public);
    };
    if RepoTrait::parse(&trait_item, &entity_ident, &mut errors).is_none() {
        let errs = errors.to_compile_errors();
        return quote!(#errs #public);
    }
    let entity = &args.entity;
    let assert = quote_spanned! {entity.span()=>
        const _: () = ::repo_runtime::__private::assert_entity::<#entity>();
    };
    quote! {
        #public
        #assert
        #entity! { args(#attr) #item }
    }
}

/// The entity's shape as its derive hands it over.
struct EntityMeta {
    ident: Ident,
    table: String,
    /// The migrations folder the entity was checked against.
    schema: Option<String>,
    fields: Vec<MetaField>,
}

/// One mapped field as the derive hands it over: `name: Type = "column" [key] [as "sql type"]`.
struct MetaField {
    ident: Ident,
    ty: Type,
    column: String,
    key: bool,
    cast: Option<String>,
}

impl Parse for EntityMeta {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let kw = |input: ParseStream<'_>, word: &str| -> syn::Result<()> {
            let id: Ident = input.parse()?;
            if id == word {
                Ok(())
            } else {
                Err(syn::Error::new(id.span(), format!("expected `{word}`")))
            }
        };
        kw(input, "entity")?;
        let ident: Ident = input.parse()?;
        kw(input, "table")?;
        let table: LitStr = input.parse()?;
        let schema = if input.peek(Ident) && input.fork().parse::<Ident>()? == "schema" {
            kw(input, "schema")?;
            Some(input.parse::<LitStr>()?.value())
        } else {
            None
        };
        kw(input, "fields")?;
        let content;
        syn::braced!(content in input);
        let mut fields = Vec::new();
        while !content.is_empty() {
            let name: Ident = content.parse()?;
            content.parse::<Token![:]>()?;
            let ty: Type = content.parse()?;
            content.parse::<Token![=]>()?;
            let column: LitStr = content.parse()?;
            let key = content.peek(Ident);
            if key {
                kw(&content, "key")?;
            }
            let cast = if content.peek(Token![as]) {
                content.parse::<Token![as]>()?;
                Some(content.parse::<LitStr>()?.value())
            } else {
                None
            };
            content.parse::<Token![,]>()?;
            fields.push(MetaField { ident: name, ty, column: column.value(), key, cast });
        }
        Ok(Self { ident, table: table.value(), schema, fields })
    }
}

struct ImplInput {
    entity: EntityMeta,
    args: RepoArgs,
    item: ItemTrait,
}

impl Parse for ImplInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let entity = input.parse()?;
        let _: Ident = input.parse()?;
        let content;
        syn::parenthesized!(content in input);
        let args = content.parse()?;
        let item = input.parse()?;
        Ok(Self { entity, args, item })
    }
}

pub(crate) fn expand_repository_impl(input: TokenStream) -> TokenStream {
    let ImplInput { entity, args, item } = match syn::parse2::<ImplInput>(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::default();
    let Some(repo) = RepoTrait::parse(&item, &entity.ident, &mut errors) else {
        return errors.to_compile_errors();
    };
    let info = EntityInfo {
        name: entity.ident.to_string(),
        table: entity.table.clone(),
        fields: entity
            .fields
            .iter()
            .map(|f| FieldInfo {
                ident: f.ident.to_string(),
                column: f.column.clone(),
                key: f.key,
                cast: f.cast.clone(),
                array: valid::is_array(&f.ty),
            })
            .collect(),
    };
    // Field types are named through the entity (`<Book as FieldType<3>>::Type`), so they
    // resolve where the entity is declared, whatever the repository's module imports; messages
    // still show them as declared.
    let entity_ident = &entity.ident;
    let named: Vec<(String, Type, Type)> = entity
        .fields
        .iter()
        .enumerate()
        .map(|(n, MetaField { ident: i, ty: t, .. })| {
            let through: Type = syn::parse_quote_spanned! {t.span()=>
                <#entity_ident as ::repo_runtime::__private::FieldType<#n>>::Type
            };
            (i.to_string(), through, t.clone())
        })
        .collect();
    crate::diag::set_declared(named.iter().map(|(_, through, t)| (through.clone(), t.clone())));
    let field_types = named.into_iter().map(|(i, through, _)| (i, through)).collect();
    // The entity's derive has reported a folder it cannot read.
    let catalog = entity
        .schema
        .as_deref()
        .and_then(|dir| crate::check::schema::load(std::path::Path::new(dir)).ok())
        .map(|s| s.catalog);
    let declared: HashMap<String, Type> =
        entity.fields.iter().map(|f| (f.column.clone(), f.ty.clone())).collect();
    let typing = catalog.as_deref().map(|c| typed::Typing { catalog: c, columns: &declared });
    // parse (the trait above, the `Crud` table) → check every rule → emit.
    let name = args.name.clone().unwrap_or_else(|| format_ident!("Pg{}", repo.item.ident));
    let crud = args.crud.as_ref().and_then(|token| {
        crud::table(token, &name, &info, &entity.ident, &field_types, &mut errors)
    });
    let checked = valid::check(
        &repo,
        crud.as_ref(),
        &name,
        &info,
        &entity.ident,
        &field_types,
        typing.as_ref(),
        errors,
    );
    expand::emit(&repo, checked, crud.as_ref(), &name, &entity.ident, &field_types)
}
