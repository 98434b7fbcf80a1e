//! `#[repository_for(Entity, crud)]`: an implementation of `repo_runtime::Crud` from the
//! entity alone. Its methods are a table (name, signature, template, arguments, return kind),
//! and go through the same expansion, checks, bodies and `verify()` steps as the user's
//! methods; `copy_in`, which runs no statement template, is the one written here.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};
use syn::{Ident, LitStr, TraitItemFn, Type};

use super::model::{Arg, Method, Returns};
use super::verify::{check_step, query_static};
use crate::diag::Errors;
use crate::template::{ArgKind, EntityInfo, quote_ident, quote_table};

/// The methods `Crud` generates.
pub(super) const METHODS: &[&str] = &[
    "get",
    "get_many",
    "list",
    "insert",
    "insert_returning",
    "insert_many",
    "copy_in",
    "update",
    "upsert",
    "delete",
    "count",
    "exists",
];

/// The `Crud` methods, as repository methods, and `copy_in`.
pub(super) struct CrudTable {
    pub methods: Vec<Method>,
    pub key_ty: Type,
    /// `copy_in`'s body.
    pub copy_in: TokenStream,
    /// `copy_in`'s statement, for `STATEMENTS`.
    pub copy_sql: String,
    /// `copy_in`'s `verify()` step: COPY cannot be described, so the select of its columns
    /// checks them and their types.
    pub copy_verify: TokenStream,
}

/// One method of the table. `inputs` are the signature's, `args` what the template binds (the
/// `prelude` makes the one from the other).
struct Entry {
    name: &'static str,
    inputs: TokenStream,
    output: Type,
    template: String,
    args: Vec<Arg>,
    returns: Returns,
    prelude: TokenStream,
    types: Vec<TokenStream>,
}

impl Entry {
    fn method(self, at: &Ident) -> Method {
        let (name, inputs, output) = (format_ident!("{}", self.name), &self.inputs, &self.output);
        let item: TraitItemFn = syn::parse_quote!(fn #name(&self, #inputs) -> #output;);
        Method {
            item,
            sql: LitStr::new(&self.template, at.span()),
            unchecked: false,
            at: at.to_token_stream(),
            args: self.args,
            output: self.output,
            returns: self.returns,
            prelude: self.prelude,
            types: self.types,
        }
    }
}

fn arg(name: &str, ty: Type, kind: ArgKind) -> Arg {
    Arg { ident: format_ident!("{}", name), ty, kind }
}

/// The `Crud` methods of `entity`, or `None` (and an error on `crud_token`) without a key.
pub(super) fn table(
    crud_token: &Ident,
    name: &Ident,
    entity: &EntityInfo,
    entity_ident: &Ident,
    field_types: &HashMap<String, Type>,
    errors: &mut Errors,
) -> Option<CrudTable> {
    let keys: Vec<_> = entity.fields.iter().filter(|f| f.key).collect();
    if keys.is_empty() {
        errors.push(
            crud_token,
            format!("`crud` needs a key, and `{entity_ident}` declares none"),
            format!("mark the key field(s) of `{entity_ident}` with `#[entity(key)]`"),
        );
        return None;
    }
    let p = quote!(::repo_runtime::__private);
    let ety: Type = syn::parse_quote!(#entity_ident);
    let result = |t: TokenStream| -> Type { syn::parse_quote!(::repo_runtime::Result<#t>) };
    let fty = |f: &str| field_types[f].clone();
    let key_types: Vec<Type> = keys.iter().map(|k| fty(&k.ident)).collect();
    let key_ty: Type = match key_types.as_slice() {
        [one] => one.clone(),
        many => syn::parse_quote!((#(#many),*)),
    };
    // `key` becomes the key's fields, by their names, as `<<where:id>>` binds them.
    let key_args: Vec<Arg> =
        keys.iter().map(|k| arg(&k.ident, fty(&k.ident), ArgKind::Scalar)).collect();
    let key_idents: Vec<&Ident> = key_args.iter().map(|a| &a.ident).collect();
    let key_prelude = match key_idents.as_slice() {
        [one] => quote!(let #one = &key;),
        many => quote!(let (#(#many),*) = &key;),
    };
    let row = || vec![arg("row", syn::parse_quote!(&#ety), ArgKind::Entity)];
    let key_order = keys.iter().map(|k| k.ident.as_str()).collect::<Vec<_>>().join(",");
    let key_columns = keys.iter().map(|k| quote_ident(&k.column)).collect::<Vec<_>>().join(", ");
    let entry = |name, inputs, output, template: &str, args, returns| Entry {
        name,
        inputs,
        output,
        template: template.to_owned(),
        args,
        returns,
        prelude: TokenStream::new(),
        types: Vec::new(),
    };
    let by_key = |name, output, template: &str, returns| Entry {
        prelude: key_prelude.clone(),
        ..entry(name, quote!(key: Self::Key), output, template, key_args.clone(), returns)
    };
    let affected = || result(quote!(u64));
    let mut entries = vec![by_key(
        "get",
        result(quote!(::core::option::Option<#ety>)),
        "SELECT <<columns>> FROM <<table>> WHERE <<where:id>>",
        Returns::Opt(ety.clone()),
    )];
    let many = result(quote!(::std::vec::Vec<#ety>));
    entries.push(if let [k] = keys.as_slice() {
        let kt = &key_types[0];
        entry(
            "get_many",
            quote!(keys: &[Self::Key]),
            many,
            &format!(
                "SELECT <<columns>> FROM <<table>> WHERE {} = ANY(@keys) <<orderby:{key_order}>>",
                quote_ident(&k.column)
            ),
            vec![arg("keys", syn::parse_quote!(&[#kt]), ArgKind::Scalar)],
            Returns::Many(ety.clone()),
        )
    } else {
        // One array per key column.
        let names: Vec<Ident> = (0..keys.len()).map(|i| format_ident!("k{i}")).collect();
        let columns = names.iter().zip(&key_types).enumerate().map(|(i, (k, t))| {
            let i = syn::Index::from(i);
            quote!(let #k: ::std::vec::Vec<&#t> = keys.iter().map(|key| &key.#i).collect();)
        });
        let params: Vec<String> = names.iter().map(|k| format!("@{k}")).collect();
        Entry {
            prelude: quote!(#(#columns)*),
            types: key_types
                .iter()
                .map(|t| quote!(<#t as ::repo_runtime::UnnestType>::ARRAY_TYPE))
                .collect(),
            ..entry(
                "get_many",
                quote!(keys: &[Self::Key]),
                many,
                &format!(
                    "SELECT <<columns>> FROM <<table>> WHERE ({key_columns}) IN (SELECT * FROM UNNEST({})) <<orderby:{key_order}>>",
                    params.join(", ")
                ),
                names
                    .iter()
                    .zip(&key_types)
                    .map(|(k, t)| arg(&k.to_string(), syn::parse_quote!(::std::vec::Vec<&#t>), ArgKind::Scalar))
                    .collect(),
                Returns::Many(ety.clone()),
            )
        }
    });
    let i64_ty: Type = syn::parse_quote!(i64);
    entries.push(entry(
        "list",
        quote!(limit: i64, offset: i64),
        result(quote!(::repo_runtime::Page<#ety>)),
        &format!(
            "SELECT <<columns>>, <<total>> FROM <<table>> <<orderby:{key_order}>> <<paginate>>"
        ),
        vec![arg("limit", i64_ty.clone(), ArgKind::Scalar), arg("offset", i64_ty, ArgKind::Scalar)],
        Returns::Page(ety.clone()),
    ));
    let insert = "INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>)";
    let row_in = || quote!(row: &#ety);
    entries.push(entry("insert", row_in(), affected(), insert, row(), Returns::Affected));
    entries.push(entry(
        "insert_returning",
        row_in(),
        result(quote!(#ety)),
        &format!("{insert} <<returning>>"),
        row(),
        Returns::One(ety.clone()),
    ));
    entries.push(entry(
        "insert_many",
        quote!(rows: &[#ety]),
        affected(),
        "INSERT INTO <<table>> (<<columns>>) <<unnest>>",
        vec![arg("rows", syn::parse_quote!(&[#ety]), ArgKind::EntitySlice)],
        Returns::Affected,
    ));
    let non_keys: Vec<_> = entity.fields.iter().filter(|f| !f.key).collect();
    let (update, conflict) = if non_keys.is_empty() {
        // Nothing to set: the update touches the row (and counts it), the upsert keeps it.
        let first = quote_ident(&keys[0].column);
        (
            format!("UPDATE <<table>> SET {first} = {first} WHERE <<where:id>>"),
            "DO NOTHING".to_owned(),
        )
    } else {
        let sets: Vec<String> = non_keys
            .iter()
            .map(|f| format!("{0} = EXCLUDED.{0}", quote_ident(&f.column)))
            .collect();
        (
            "UPDATE <<table>> SET <<set>> WHERE <<where:id>>".to_owned(),
            format!("DO UPDATE SET {}", sets.join(", ")),
        )
    };
    entries.push(entry("update", row_in(), affected(), &update, row(), Returns::Affected));
    entries.push(entry(
        "upsert",
        row_in(),
        affected(),
        &format!("{insert} ON CONFLICT ({key_columns}) {conflict}"),
        row(),
        Returns::Affected,
    ));
    entries.push(by_key(
        "delete",
        affected(),
        "DELETE FROM <<table>> WHERE <<where:id>>",
        Returns::Affected,
    ));
    entries.push(entry(
        "count",
        TokenStream::new(),
        result(quote!(i64)),
        "SELECT <<count>> FROM <<table>>",
        vec![],
        Returns::One(syn::parse_quote!(i64)),
    ));
    entries.push(by_key(
        "exists",
        result(quote!(bool)),
        "SELECT EXISTS (SELECT 1 FROM <<table>> WHERE <<where:id>>)",
        Returns::One(syn::parse_quote!(bool)),
    ));
    let methods = entries.into_iter().map(|e| e.method(crud_token)).collect();

    // `copy_in`: COPY … FROM STDIN, which no template describes.
    let table = quote_table(&entity.table);
    let columns =
        entity.fields.iter().map(|f| quote_ident(&f.column)).collect::<Vec<_>>().join(", ");
    let copy_sql = format!("COPY {table} ({columns}) FROM STDIN (FORMAT binary)");
    let copy_columns_sql = format!("SELECT {columns} FROM {table} LIMIT 0");
    let label = format!("{name}::copy_in");
    let copy_query = query_static("QUERY", &label, &copy_sql, &[]);
    let copy_columns = query_static("COLUMNS", &label, &copy_columns_sql, &[]);
    let n_fields = entity.fields.len();
    let fields = entity.fields.iter().map(|f| format_ident!("{}", f.ident));
    let copy_in = quote! {
        fn copy_in(&self, rows: &[#ety]) -> impl ::core::future::Future<Output = ::repo_runtime::Result<u64>> + ::core::marker::Send {
            async move {
                #copy_query
                #copy_columns
                fn values(row: &#ety) -> [&(dyn #p::ToSql + ::core::marker::Sync); #n_fields] {
                    [#(&row.#fields),*]
                }
                #p::copy_in(::repo_runtime::Executor::source(&self.executor), &QUERY, &COLUMNS, rows, values).await
            }
        }
    };
    let none = quote!(::core::option::Option::None);
    let copy_verify = check_step(&label, &copy_columns_sql, &[], &[], Some((&ety, 0)), &none);
    Some(CrudTable { methods, key_ty, copy_in, copy_sql, copy_verify })
}
