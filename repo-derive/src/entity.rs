//! `#[derive(Entity)]` and `#[derive(FromRow)]`: the typed model of a mapped struct, its
//! `FromRow` and `Entity` impls, and the hidden macro that hands the struct's shape to
//! `#[repository_for]`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Type};

use crate::check::entity::{FieldCheck, check_entity};
use crate::diag::{Errors, list};
use crate::template::{quote_table, suggest};

/// A struct field as the entity attributes describe it.
pub(crate) struct Field {
    pub ident: Ident,
    pub ty: Type,
    pub column: String,
    pub key: bool,
    pub skip: bool,
}

/// Where the schema check finds migrations.
pub(crate) enum SchemaSetting {
    /// `migrations/` beside `Cargo.toml`, when that folder exists.
    Default,
    /// `#[entity(schema = "…")]`, relative to the file it is written in.
    Path(LitStr),
    /// `#[entity(schema = false)]`.
    Off,
}

/// A struct deriving `Entity`.
pub(crate) struct EntityDef {
    pub ident: Ident,
    pub table: String,
    pub fields: Vec<Field>,
    pub schema: SchemaSetting,
}

const STRUCT_ATTRS: &[&str] = &["table", "schema"];
const FIELD_ATTRS: &[&str] = &["key", "rename", "skip"];

fn unknown(errors: &mut Errors, path: &syn::Path, valid: &[&str], on: &str) {
    let name =
        path.get_ident().map(ToString::to_string).unwrap_or_else(|| quote!(#path).to_string());
    let hint = suggest(&name, valid.iter().copied())
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default();
    errors.push(
        path,
        format!("unknown entity attribute `{name}` on {on}"),
        format!("{hint}valid: {}", list(valid)),
    );
}

/// `CamelCase` → `camel_case`.
pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The named fields of a struct, or an error naming what the derive expects.
fn named_fields<'a>(
    input: &'a DeriveInput,
    derive: &str,
    errors: &mut Errors,
) -> Option<&'a syn::FieldsNamed> {
    match &input.data {
        Data::Struct(s) => {
            match &s.fields {
                Fields::Named(named) => Some(named),
                _ => {
                    errors.push(
                    &input.ident,
                    format!("`#[derive({derive})]` needs a struct with named fields"),
                    format!("write `struct {} {{ id: i64, … }}`: fields are matched to columns by name", input.ident),
                );
                    None
                }
            }
        }
        _ => {
            errors.push(
                &input.ident,
                format!("`#[derive({derive})]` only works on structs"),
                "for enums stored as INT or TEXT, use `#[derive(SqlEnum)]`",
            );
            None
        }
    }
}

impl EntityDef {
    pub(crate) fn parse(input: &DeriveInput, errors: &mut Errors) -> Option<Self> {
        let mut table: Option<LitStr> = None;
        let mut schema = SchemaSetting::Default;
        for attr in input.attrs.iter().filter(|a| a.path().is_ident("entity")) {
            let res = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("schema") {
                    let value: syn::Lit = meta.value()?.parse()?;
                    if !matches!(schema, SchemaSetting::Default) {
                        errors.push(&meta.path, "duplicate entity attribute `schema`", "give `#[entity(schema = \"…\")]` once");
                    }
                    schema = match value {
                        syn::Lit::Str(path) => SchemaSetting::Path(path),
                        syn::Lit::Bool(b) if !b.value => SchemaSetting::Off,
                        other => {
                            errors.push(other, "`schema` takes the migrations folder or `false`", "write `#[entity(schema = \"../migrations\")]` (relative to this file) or `#[entity(schema = false)]`");
                            SchemaSetting::Default
                        }
                    };
                } else if meta.path.is_ident("table") {
                    let lit: LitStr = meta.value()?.parse()?;
                    if table.is_some() {
                        errors.push(
                            &meta.path,
                            "duplicate entity attribute `table`",
                            "give `#[entity(table = \"…\")]` once",
                        );
                    } else if lit.value().trim().is_empty() {
                        errors.push(
                            &lit,
                            "`table` is empty",
                            "name the table, e.g. `#[entity(table = \"users\")]`",
                        );
                    }
                    table = Some(lit);
                } else {
                    unknown(errors, &meta.path, STRUCT_ATTRS, "a struct");
                    skip_value(&meta)?;
                }
                Ok(())
            });
            if let Err(e) = res {
                errors.push_error(e);
            }
        }
        let named = named_fields(input, "Entity", errors)?;
        let mut fields = Vec::new();
        for f in &named.named {
            let ident = f.ident.clone()?;
            let mut field = Field {
                column: ident.to_string(),
                ident,
                ty: f.ty.clone(),
                key: false,
                skip: false,
            };
            let mut seen: Vec<String> = Vec::new();
            for attr in f.attrs.iter().filter(|a| a.path().is_ident("entity")) {
                let res = attr.parse_nested_meta(|meta| {
                    let name = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
                    if FIELD_ATTRS.contains(&name.as_str()) && seen.contains(&name) {
                        errors.push(&meta.path, format!("duplicate entity attribute `{name}` on field `{}`", field.ident), format!("give `{name}` once"));
                    }
                    seen.push(name.clone());
                    match name.as_str() {
                        "key" => field.key = true,
                        "skip" => field.skip = true,
                        "rename" => {
                            let lit: LitStr = meta.value()?.parse()?;
                            if lit.value().trim().is_empty() {
                                errors.push(&lit, "`rename` is empty", "give the column name, e.g. `#[entity(rename = \"nick_name\")]`");
                            }
                            field.column = lit.value();
                        }
                        _ => {
                            unknown(errors, &meta.path, FIELD_ATTRS, "a field");
                            skip_value(&meta)?;
                        }
                    }
                    Ok(())
                });
                if let Err(e) = res {
                    errors.push_error(e);
                }
            }
            if field.key && field.skip {
                errors.push(
                    &field.ident,
                    format!("field `{}` is both `key` and `skip`", field.ident),
                    "a key must be mapped to a column: remove `skip` or `key`",
                );
            }
            fields.push(field);
        }
        let mut columns: Vec<&str> = Vec::new();
        for f in fields.iter().filter(|f| !f.skip) {
            if columns.contains(&f.column.as_str()) {
                errors.push(&f.ident, format!("column `{}` is mapped by more than one field", f.column), "give each field its own column with `#[entity(rename = \"…\")]`, or `#[entity(skip)]` one of them");
            }
            columns.push(&f.column);
        }
        if fields.iter().all(|f| f.skip) {
            errors.push(
                &input.ident,
                format!("`{}` maps no column", input.ident),
                "an entity needs at least one field that is not `#[entity(skip)]`",
            );
        }
        let table =
            table.map(|t| t.value()).unwrap_or_else(|| snake_case(&input.ident.to_string()));
        Some(Self { ident: input.ident.clone(), table, fields, schema })
    }

    pub(crate) fn mapped(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| !f.skip)
    }
}

/// Consumes `= value` after an unknown attribute so parsing can go on to the next one.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    }
    Ok(())
}

/// `where Field: FromSqlOwned, …` with the fields' spans: a field type that cannot be read is
/// reported once, at the field, rather than once per use in the impl.
fn field_bounds(
    fields: &[(TokenStream, &Type, bool)],
    where_g: Option<&syn::WhereClause>,
) -> TokenStream {
    let bounds = fields
        .iter()
        .filter(|(_, _, skip)| !skip)
        .map(|(_, ty, _)| quote_spanned!(crate::diag::type_span(ty)=> #ty: ::repo_runtime::__private::Column));
    let existing = where_g.map(|w| {
        let p = &w.predicates;
        quote!(#p,)
    });
    quote!(where #existing #(#bounds,)*)
}

/// `WIDTH`, `NAMES` (the column read at each position, when the fields have names) and
/// `accepts_column` for `verify`: one arm per mapped field, in order.
fn column_checks(fields: &[(TokenStream, &Type, bool)], names: Option<&[String]>) -> TokenStream {
    let mapped: Vec<&Type> =
        fields.iter().filter(|(_, _, skip)| !skip).map(|(_, ty, _)| *ty).collect();
    let width = mapped.len();
    let arms = mapped.iter().enumerate().map(|(i, ty)| {
        quote_spanned!(ty.span()=> #i => <#ty as ::repo_runtime::__private::Column>::accepts(ty),)
    });
    let names = names.map(|names| {
        quote! {
            const NAMES: ::core::option::Option<&'static [&'static str]> =
                ::core::option::Option::Some(&[#(#names),*]);
        }
    });
    let shapes = mapped.iter().map(|ty| {
        let accepts = crate::check::entity::accepted_types(ty).unwrap_or_default();
        let optional = !std::ptr::eq(crate::check::entity::option_inner(ty), *ty);
        quote!(::repo_runtime::__private::FieldShape { accepts: &[#(#accepts),*], optional: #optional })
    });
    quote! {
        const WIDTH: ::core::option::Option<usize> = ::core::option::Option::Some(#width);
        #names
        const SHAPES: ::core::option::Option<&'static [::repo_runtime::__private::FieldShape]> =
            ::core::option::Option::Some(&[#(#shapes),*]);

        fn accepts_column(index: usize, ty: &::repo_runtime::__private::Type) -> bool {
            match index {
                #(#arms)*
                _ => false,
            }
        }
    }
}

/// `Ok(Self { a: column(row, 0)?, … })`, fields read by position; skipped fields defaulted.
fn from_row_body(fields: &[(TokenStream, &Type, bool)]) -> TokenStream {
    let mut index = 0usize;
    let inits = fields.iter().map(|(name, ty, skip)| {
        if *skip {
            quote_spanned!(ty.span()=> #name: ::core::default::Default::default())
        } else {
            let i = index;
            index += 1;
            quote_spanned!(ty.span()=> #name: <#ty as ::repo_runtime::__private::Column>::read(row, #i)?)
        }
    });
    quote!(::core::result::Result::Ok(Self { #(#inits,)* }))
}

pub(crate) fn expand_entity(input: DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let def = EntityDef::parse(&input, &mut errors);
    let Some(def) = def else {
        return errors.to_compile_errors();
    };
    // Checked only when the struct itself is sound, and reported beside a full expansion so
    // the repositories built on it do not fail too.
    let (tracked, casts, schema_dir) =
        if errors.is_empty() { check_schema(&def, &mut errors) } else { Default::default() };
    let compile_errors = errors.to_compile_errors();
    let ident = &def.ident;
    let (impl_g, ty_g, _) = input.generics.split_for_impl();
    let table = quote_table(&def.table);
    let columns: Vec<&str> = def.mapped().map(|f| f.column.as_str()).collect();
    let keys: Vec<&str> = def.mapped().filter(|f| f.key).map(|f| f.column.as_str()).collect();
    let field_list: Vec<_> = def
        .fields
        .iter()
        .map(|f| {
            let i = &f.ident;
            (quote!(#i), &f.ty, f.skip)
        })
        .collect();
    let names: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    let checks = column_checks(&field_list, Some(&names));
    let bounds = field_bounds(&field_list, input.generics.where_clause.as_ref());
    let body = from_row_body(
        &def.fields
            .iter()
            .map(|f| {
                let i = &f.ident;
                (quote!(#i), &f.ty, f.skip)
            })
            .collect::<Vec<_>>(),
    );
    let meta_fields = def.mapped().map(|f| {
        let (name, ty, col) = (&f.ident, &f.ty, &f.column);
        let key = f.key.then(|| quote!(key));
        let cast = casts.get(col).map(|sql| quote!(as #sql));
        quote!(#name : #ty = #col #key #cast,)
    });
    // Each mapped field's type, named through the entity so that a repository in any module
    // resolves it where it was written.
    let field_type_impls = def.mapped().enumerate().map(|(n, f)| {
        let ty = &f.ty;
        quote! {
            #[automatically_derived]
            impl ::repo_runtime::__private::FieldType<#n> for #ident {
                type Type = #ty;
            }
        }
    });
    let raw_table = &def.table;
    // The migrations folder, so that the repositories type their statements from it.
    let schema_meta = schema_dir.map(|d| quote!(schema #d));
    let meta_macro = format_ident!("__repo_entity_{}", ident);
    let generic_note = (!input.generics.params.is_empty()).then(
        || quote!(::core::compile_error!("`#[derive(Entity)]` does not support generic structs");),
    );
    quote! {
        #compile_errors
        #generic_note
        #tracked

        #[automatically_derived]
        impl #impl_g ::repo_runtime::FromRow for #ident #ty_g #bounds {
            #checks

            #[inline]
            fn from_row(row: &::repo_runtime::__private::Row) -> ::repo_runtime::Result<Self> {
                #body
            }
        }

        #[automatically_derived]
        impl #impl_g ::repo_runtime::Entity for #ident #ty_g #bounds {
            const TABLE: &'static str = #table;
            const COLUMNS: &'static [&'static str] = &[#(#columns),*];
            const KEY_COLUMNS: &'static [&'static str] = &[#(#keys),*];
        }

        #(#field_type_impls)*

        /// Hands this entity's shape to `#[repository_for]` (which cannot see the struct).
        #[doc(hidden)]
        #[allow(unused_macros)]
        macro_rules! #meta_macro {
            ($($input:tt)*) => {
                ::repo_runtime::__private::repository_impl! {
                    entity #ident table #raw_table #schema_meta fields { #(#meta_fields)* }
                    $($input)*
                }
            };
        }

        #[doc(hidden)]
        #[allow(unused_imports)]
        pub(crate) use #meta_macro as #ident;
    }
}

pub(crate) fn expand_from_row(input: DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let ident = &input.ident;
    let body = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => {
                let fields: Vec<_> = named
                    .named
                    .iter()
                    .map(|f| {
                        let i = f.ident.as_ref();
                        (quote!(#i), &f.ty, false)
                    })
                    .collect();
                let names: Vec<String> = named
                    .named
                    .iter()
                    .filter_map(|f| f.ident.as_ref())
                    .map(|i| syn::ext::IdentExt::unraw(i).to_string())
                    .collect();
                (
                    column_checks(&fields, Some(&names)),
                    from_row_body(&fields),
                    field_bounds(&fields, input.generics.where_clause.as_ref()),
                )
            }
            Fields::Unnamed(unnamed) => {
                let fields: Vec<_> = unnamed
                    .unnamed
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let i = syn::Index::from(i);
                        (quote!(#i), &f.ty, false)
                    })
                    .collect();
                (
                    column_checks(&fields, None),
                    from_row_body(&fields),
                    field_bounds(&fields, input.generics.where_clause.as_ref()),
                )
            }
            Fields::Unit => {
                errors.push(
                    ident,
                    "`#[derive(FromRow)]` needs fields to read columns into",
                    "declare one field per selected column, in SELECT order",
                );
                (TokenStream::new(), TokenStream::new(), TokenStream::new())
            }
        },
        _ => {
            named_fields(&input, "FromRow", &mut errors);
            (TokenStream::new(), TokenStream::new(), TokenStream::new())
        }
    };
    let (checks, body, bounds) = body;
    if !errors.is_empty() {
        return errors.to_compile_errors();
    }
    let (impl_g, ty_g, _) = input.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_g ::repo_runtime::FromRow for #ident #ty_g #bounds {
            #checks

            #[inline]
            fn from_row(row: &::repo_runtime::__private::Row) -> ::repo_runtime::Result<Self> {
                #body
            }
        }
    }
}

/// The migrations folder for `def`, if the check is on and the folder is there.
fn schema_dir(def: &EntityDef, errors: &mut Errors) -> Option<PathBuf> {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    match &def.schema {
        SchemaSetting::Off => None,
        SchemaSetting::Default => {
            let dir = manifest.join("migrations");
            dir.is_dir().then_some(dir)
        }
        SchemaSetting::Path(lit) => {
            let rel = PathBuf::from(lit.value());
            // Relative to the file the attribute is written in, like `include_str!`.
            let base = if proc_macro::is_available() {
                lit.span().unwrap().local_file().and_then(|f| f.parent().map(Path::to_path_buf))
            } else {
                None
            };
            let dir = base.unwrap_or(manifest).join(rel);
            if dir.is_dir() {
                Some(dir)
            } else {
                errors.push(lit, format!("no migrations folder at `{}`", dir.display()), "give the folder of `.sql` migrations relative to this file, or turn the check off with `#[entity(schema = false)]`");
                None
            }
        }
    }
}

/// Checks `def` against the migrations. Returns the `include_bytes!` that make cargo rebuild
/// when one of them changes, and the SQL type of each column a parameter must be cast to (a
/// PostgreSQL ENUM: `UNNEST($1::mood[])`), by column.
fn check_schema(
    def: &EntityDef,
    errors: &mut Errors,
) -> (TokenStream, HashMap<String, String>, Option<String>) {
    let Some(dir) = schema_dir(def, errors) else { return Default::default() };
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let schema = match crate::check::schema::load(&dir) {
        Ok(s) => s,
        Err(d) => {
            errors.push(&def.ident, &d.message, &d.help);
            return Default::default();
        }
    };
    let casts = schema
        .catalog
        .tables
        .get(&def.table)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let ty = c.ty.strip_prefix("enum:")?;
            // An array of an enum: `"feeling"[]`.
            let cast = match ty.strip_suffix("[]") {
                Some(element) => format!("{}[]", quote_table(element)),
                None => quote_table(ty),
            };
            Some((c.name.clone(), cast))
        })
        .collect();
    let shown = std::env::var_os("CARGO_MANIFEST_DIR")
        .and_then(|m| dir.strip_prefix(std::fs::canonicalize(m).ok()?).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| dir.clone());
    let mapped: Vec<&Field> = def.mapped().collect();
    let fields: Vec<FieldCheck<'_>> = mapped
        .iter()
        .map(|f| FieldCheck { ident: f.ident.to_string(), column: &f.column, ty: &f.ty })
        .collect();
    for finding in
        check_entity(&schema.catalog, &format!("{}/", shown.display()), &def.table, &fields)
    {
        let d = &finding.diag;
        match finding.field.map(|i| mapped[i]) {
            Some(f) if finding.at_type => errors.push(&f.ty, &d.message, &d.help),
            Some(f) => errors.push(&f.ident, &d.message, &d.help),
            None => errors.push(&def.ident, &d.message, &d.help),
        }
    }
    // An enum's representation is known to the compiler, not to this macro: a constant
    // compares it with the column.
    let stored = crate::check::entity::stored_checks(&schema.catalog, &def.table, &fields)
        .into_iter()
        .map(|c| {
            let ty = crate::check::entity::option_inner(&mapped[c.field].ty);
            let (int_ok, text_ok, if_int, if_text) = (c.int_ok, c.text_ok, c.if_int, c.if_text);
            quote_spanned! {crate::diag::type_span(ty)=>
                const _: () = {
                    // Used only when the type is not a `SqlEnum`.
                    #[allow(unused_imports)]
                    use ::repo_runtime::__private::NotStoredAs as _;
                    ::repo_runtime::__private::assert_stored(
                        <::repo_runtime::__private::StoredProbe<#ty>>::STORED,
                        #int_ok, #text_ok, #if_int, #if_text,
                    )
                };
            }
        });
    let files = schema.files.iter().map(|f| f.to_string_lossy().into_owned());
    let tracked = quote! {
        // Rebuild when a migration changes.
        #(const _: &[u8] = ::core::include_bytes!(#files);)*
        #(#stored)*
    };
    (tracked, casts, Some(dir.to_string_lossy().into_owned()))
}
