//! Procedural macros of the repository generator. Use them through `repo_runtime`, which
//! re-exports them with their documentation and provides everything the expansions call.

mod diag;
mod entity;
mod repo;
mod sql_enum;
mod template;

#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

/// See `repo_runtime::Entity`.
#[proc_macro_derive(Entity, attributes(entity))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    match syn::parse(input) {
        Ok(input) => entity::expand_entity(input).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// See `repo_runtime::FromRow`.
#[proc_macro_derive(FromRow)]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    match syn::parse(input) {
        Ok(input) => entity::expand_from_row(input).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// See `repo_runtime::SqlEnum`.
#[proc_macro_derive(SqlEnum, attributes(sql_enum))]
pub fn derive_sql_enum(input: TokenStream) -> TokenStream {
    match syn::parse(input) {
        Ok(input) => sql_enum::expand_sql_enum(input).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// See `repo_runtime::repository_for`.
#[proc_macro_attribute]
pub fn repository_for(attr: TokenStream, item: TokenStream) -> TokenStream {
    repo::expand_repository_for(attr.into(), item.into()).into()
}

#[doc(hidden)]
#[proc_macro]
pub fn __repository_impl(input: TokenStream) -> TokenStream {
    repo::expand_repository_impl(input.into()).into()
}
