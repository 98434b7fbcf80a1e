//! Procedural macros of the repository generator. Use them through `repo_runtime`, which
//! re-exports them with their documentation and provides everything the expansions call.

mod check;
mod diag;
mod entity;
mod repo;
mod sql_enum;
mod template;

#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

/// Maps a struct to a table (documented in `repo_runtime`).
#[proc_macro_derive(Entity, attributes(entity))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    match syn::parse(input) {
        Ok(input) => entity::expand_entity(input).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Reads a struct from a row by position (documented in `repo_runtime`).
#[proc_macro_derive(FromRow)]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    match syn::parse(input) {
        Ok(input) => entity::expand_from_row(input).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Stores a fieldless enum as INT or TEXT (documented in `repo_runtime`).
#[proc_macro_derive(SqlEnum, attributes(sql_enum))]
pub fn derive_sql_enum(input: TokenStream) -> TokenStream {
    match syn::parse(input) {
        Ok(input) => sql_enum::expand_sql_enum(input).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Generates a PostgreSQL repository from SQL templates (documented in `repo_runtime`).
#[proc_macro_attribute]
pub fn repository_for(attr: TokenStream, item: TokenStream) -> TokenStream {
    repo::expand_repository_for(attr.into(), item.into()).into()
}

#[doc(hidden)]
#[proc_macro]
pub fn __repository_impl(input: TokenStream) -> TokenStream {
    repo::expand_repository_impl(input.into()).into()
}
