//! `#[repository_for(Entity, crud)]`: an implementation of `repo_runtime::Crud` from the
//! entity alone, with its statements built by the template engine like any other.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Ident, Type};

use super::verify::{BoundParam, bound_param, check_step, query_static};
use crate::diag::Errors;
use crate::template::{ArgInfo, ArgKind, Bind, EntityInfo, quote_ident, quote_table};

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

/// What the CRUD implementation adds to the repository.
pub(super) struct Crud {
    pub impl_block: TokenStream,
    /// `(method, sql)` for `STATEMENTS`.
    pub statements: Vec<(String, String)>,
    /// Steps for `verify()`.
    pub verify: Vec<TokenStream>,
}

struct Stmt {
    method: &'static str,
    sql: String,
    /// Explicit parameter types (UNNEST arrays), as tokens.
    types: Vec<TokenStream>,
    /// Rust types bound to each parameter, for `verify`.
    params: Vec<Type>,
    /// The row type read, for `verify`.
    rows: Option<(Type, usize)>,
}

fn expand_one(template: &str, entity: &EntityInfo, args: &[ArgInfo]) -> (String, Vec<Bind>) {
    let mut e = crate::template::expand(template, entity, args)
        .expect("CRUD templates are valid for any keyed entity");
    let x = e.variants.remove(0);
    (x.sql, x.binds)
}

pub(super) fn generate(
    crud_token: &Ident,
    name: &Ident,
    entity: &EntityInfo,
    entity_ident: &Ident,
    field_types: &HashMap<String, Type>,
    errors: &mut Errors,
) -> Option<Crud> {
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
    let fty = |f: &str| field_types[f].clone();
    let key_types: Vec<Type> = keys.iter().map(|k| fty(&k.ident)).collect();
    let key_ty: Type = match key_types.as_slice() {
        [one] => one.clone(),
        many => syn::parse_quote!((#(#many),*)),
    };
    let key_args: Vec<ArgInfo> =
        keys.iter().map(|k| ArgInfo { name: k.ident.clone(), kind: ArgKind::Scalar }).collect();
    let row_arg = [ArgInfo { name: "row".into(), kind: ArgKind::Entity }];
    let rows_arg = [ArgInfo { name: "rows".into(), kind: ArgKind::EntitySlice }];
    let key_order = keys.iter().map(|k| k.ident.as_str()).collect::<Vec<_>>().join(",");
    let table = quote_table(&entity.table);
    let columns =
        entity.fields.iter().map(|f| quote_ident(&f.column)).collect::<Vec<_>>().join(", ");
    let key_columns = keys.iter().map(|k| quote_ident(&k.column)).collect::<Vec<_>>().join(", ");
    // CRUD's arguments: the key fields by name, `row` and `rows`.
    let arg = |name: &str| {
        let ty = field_types.get(name).cloned().unwrap_or_else(|| ety.clone());
        Some((format_ident!("{}", name), ty))
    };
    let bound = |binds: &[Bind]| -> Vec<BoundParam> {
        binds.iter().filter_map(|b| bound_param(b, &arg, field_types)).collect()
    };
    let field_params =
        |binds: &[Bind]| -> Vec<Type> { bound(binds).into_iter().map(|b| b.rust).collect() };
    let mut stmts = Vec::new();
    let add = |stmts: &mut Vec<Stmt>,
               method,
               (sql, binds): (String, Vec<Bind>),
               types: Vec<TokenStream>,
               rows: Option<(Type, usize)>| {
        let params = field_params(&binds);
        stmts.push(Stmt { method, sql, types, params, rows });
    };
    let one_row = Some((ety.clone(), 0));
    add(
        &mut stmts,
        "get",
        expand_one("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>", entity, &key_args),
        vec![],
        one_row.clone(),
    );
    if let [k] = keys.as_slice() {
        let t = format!(
            "SELECT <<columns>> FROM <<table>> WHERE {} = ANY(@keys) <<orderby:{key_order}>>",
            quote_ident(&k.column)
        );
        let (sql, _) =
            expand_one(&t, entity, &[ArgInfo { name: "keys".into(), kind: ArgKind::Scalar }]);
        let kt = &key_types[0];
        stmts.push(Stmt {
            method: "get_many",
            sql,
            types: vec![],
            params: vec![syn::parse_quote!(&[#kt])],
            rows: one_row.clone(),
        });
    } else {
        let names: Vec<String> = (0..keys.len()).map(|i| format!("@k{i}")).collect();
        let t = format!(
            "SELECT <<columns>> FROM <<table>> WHERE ({key_columns}) IN (SELECT * FROM UNNEST({})) <<orderby:{key_order}>>",
            names.join(", ")
        );
        let args: Vec<ArgInfo> = (0..keys.len())
            .map(|i| ArgInfo { name: format!("k{i}"), kind: ArgKind::Scalar })
            .collect();
        let (sql, _) = expand_one(&t, entity, &args);
        let types = key_types
            .iter()
            .map(|t| quote!(<#t as ::repo_runtime::UnnestType>::ARRAY_TYPE))
            .collect();
        let params = key_types.iter().map(|t| syn::parse_quote!(::std::vec::Vec<&#t>)).collect();
        stmts.push(Stmt { method: "get_many", sql, types, params, rows: one_row.clone() });
    }
    let paging = [
        ArgInfo { name: "limit".into(), kind: ArgKind::Scalar },
        ArgInfo { name: "offset".into(), kind: ArgKind::Scalar },
    ];
    let (sql, _) = expand_one(
        &format!(
            "SELECT <<columns>>, <<total>> FROM <<table>> <<orderby:{key_order}>> <<paginate>>"
        ),
        entity,
        &paging,
    );
    stmts.push(Stmt {
        method: "list",
        sql,
        types: vec![],
        params: vec![syn::parse_quote!(i64), syn::parse_quote!(i64)],
        rows: Some((ety.clone(), 1)),
    });
    let insert =
        expand_one("INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>)", entity, &row_arg);
    add(&mut stmts, "insert", insert.clone(), vec![], None);
    add(
        &mut stmts,
        "insert_returning",
        expand_one(
            "INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>) <<returning>>",
            entity,
            &row_arg,
        ),
        vec![],
        one_row,
    );
    let (many_sql, many_binds) =
        expand_one("INSERT INTO <<table>> (<<columns>>) <<unnest>>", entity, &rows_arg);
    let many = bound(&many_binds);
    let types = many.iter().filter_map(|b| b.explicit.clone()).collect();
    add(&mut stmts, "insert_many", (many_sql, many_binds), types, None);
    let non_keys: Vec<_> = entity.fields.iter().filter(|f| !f.key).collect();
    if non_keys.is_empty() {
        let first = quote_ident(&keys[0].column);
        let (sql, binds) = expand_one(
            &format!("UPDATE <<table>> SET {first} = {first} WHERE <<where:id>>"),
            entity,
            &row_arg,
        );
        add(&mut stmts, "update", (sql, binds), vec![], None);
    } else {
        add(
            &mut stmts,
            "update",
            expand_one("UPDATE <<table>> SET <<set>> WHERE <<where:id>>", entity, &row_arg),
            vec![],
            None,
        );
    }
    let conflict = if non_keys.is_empty() {
        "DO NOTHING".to_owned()
    } else {
        let sets: Vec<String> = non_keys
            .iter()
            .map(|f| format!("{0} = EXCLUDED.{0}", quote_ident(&f.column)))
            .collect();
        format!("DO UPDATE SET {}", sets.join(", "))
    };
    add(
        &mut stmts,
        "upsert",
        (format!("{} ON CONFLICT ({key_columns}) {conflict}", insert.0), insert.1),
        vec![],
        None,
    );
    add(
        &mut stmts,
        "delete",
        expand_one("DELETE FROM <<table>> WHERE <<where:id>>", entity, &key_args),
        vec![],
        None,
    );
    add(
        &mut stmts,
        "count",
        expand_one("SELECT <<count>> FROM <<table>>", entity, &[]),
        vec![],
        Some((syn::parse_quote!(i64), 0)),
    );
    add(
        &mut stmts,
        "exists",
        expand_one("SELECT EXISTS (SELECT 1 FROM <<table>> WHERE <<where:id>>)", entity, &key_args),
        vec![],
        Some((syn::parse_quote!(bool), 0)),
    );
    let copy_sql = format!("COPY {table} ({columns}) FROM STDIN (FORMAT binary)");
    let copy_columns_sql = format!("SELECT {columns} FROM {table} LIMIT 0");

    // Bodies.
    let label = |m: &str| format!("{name}::{m}");
    let query = |s: &Stmt| {
        let (l, sql, types) = (label(s.method), &s.sql, &s.types);
        query_static("QUERY", &l, sql, types)
    };
    let stmt =
        |m: &str| stmts.iter().find(|s| s.method == m).expect("every CRUD statement is built");
    let key_idents: Vec<Ident> = (0..keys.len()).map(|i| format_ident!("__key{}", i)).collect();
    let (key_prelude, key_params) = if keys.len() == 1 {
        (quote!(), quote!(&key))
    } else {
        (quote!(let (#(#key_idents),*) = &key;), quote!(#(#key_idents),*))
    };
    let field_refs = |var: TokenStream| {
        let fs = entity.fields.iter().map(|f| format_ident!("{}", f.ident));
        quote!(#(&#var.#fs),*)
    };
    let row_params = field_refs(quote!(row));
    let non_key_then_key = {
        let fs = non_keys.iter().chain(keys.iter()).map(|f| format_ident!("{}", f.ident));
        quote!(#(&row.#fs),*)
    };
    let update_params = if non_keys.is_empty() {
        let fs = keys.iter().map(|f| format_ident!("{}", f.ident));
        quote!(#(&row.#fs),*)
    } else {
        non_key_then_key
    };
    let (q_get, q_many, q_list, q_ins, q_ret, q_upd, q_ups, q_del, q_cnt, q_ex) = (
        query(stmt("get")),
        query(stmt("get_many")),
        query(stmt("list")),
        query(stmt("insert")),
        query(stmt("insert_returning")),
        query(stmt("update")),
        query(stmt("upsert")),
        query(stmt("delete")),
        query(stmt("count")),
        query(stmt("exists")),
    );
    let get_many_body = if keys.len() == 1 {
        quote!(#q_many #p::all::<#ety>(::repo_runtime::Executor::source(&self.executor), &QUERY, &[&keys]).await)
    } else {
        let cols = (0..keys.len()).map(|i| {
            let v = format_ident!("__keys{}", i);
            let idx = syn::Index::from(i);
            let t = &key_types[i];
            quote!(let #v: ::std::vec::Vec<&#t> = keys.iter().map(|k| &k.#idx).collect();)
        });
        let vars = (0..keys.len()).map(|i| format_ident!("__keys{}", i));
        quote!(#q_many #(#cols)* #p::all::<#ety>(::repo_runtime::Executor::source(&self.executor), &QUERY, &[#(&#vars),*]).await)
    };
    let n_fields = entity.fields.len();
    let copy_label = label("copy_in");
    let copy_query = query_static("QUERY", &copy_label, &copy_sql, &[]);
    let copy_columns = query_static("COLUMNS", &copy_label, &copy_columns_sql, &[]);
    let copy_body = quote! {
        #copy_query
        #copy_columns
        fn values(row: &#ety) -> [&(dyn #p::ToSql + ::core::marker::Sync); #n_fields] {
            [#row_params]
        }
        #p::copy_in(::repo_runtime::Executor::source(&self.executor), &QUERY, &COLUMNS, rows, values).await
    };
    let insert_many_body = {
        let q = query(stmt("insert_many"));
        let preludes = many.iter().filter_map(|b| b.prelude.as_ref());
        let params = many.iter().map(|b| &b.expr);
        quote!(#q #(#preludes)* #p::execute(::repo_runtime::Executor::source(&self.executor), &QUERY, &[#(#params),*]).await)
    };
    let impl_block = quote! {
        #[automatically_derived]
        impl<E: ::repo_runtime::Executor> ::repo_runtime::Crud for #name<E> {
            type Entity = #ety;
            type Key = #key_ty;

            async fn get(&self, key: Self::Key) -> ::repo_runtime::Result<::core::option::Option<#ety>> {
                #q_get #key_prelude
                #p::opt::<#ety>(::repo_runtime::Executor::source(&self.executor), &QUERY, &[#key_params]).await
            }

            async fn get_many(&self, keys: &[Self::Key]) -> ::repo_runtime::Result<::std::vec::Vec<#ety>> {
                #get_many_body
            }

            async fn list(&self, limit: i64, offset: i64) -> ::repo_runtime::Result<::repo_runtime::Page<#ety>> {
                #q_list
                #p::page::<#ety>(::repo_runtime::Executor::source(&self.executor), &QUERY, &[&limit, &offset], #p::Paging {
                    offset,
                    offset_param: 1,
                    limit_param: ::core::option::Option::Some(0),
                }).await
            }

            async fn insert(&self, row: &#ety) -> ::repo_runtime::Result<u64> {
                #q_ins
                #p::execute(::repo_runtime::Executor::source(&self.executor), &QUERY, &[#row_params]).await
            }

            async fn insert_returning(&self, row: &#ety) -> ::repo_runtime::Result<#ety> {
                #q_ret
                #p::one::<#ety>(::repo_runtime::Executor::source(&self.executor), &QUERY, &[#row_params]).await
            }

            async fn insert_many(&self, rows: &[#ety]) -> ::repo_runtime::Result<u64> {
                #insert_many_body
            }

            async fn copy_in(&self, rows: &[#ety]) -> ::repo_runtime::Result<u64> {
                #copy_body
            }

            async fn update(&self, row: &#ety) -> ::repo_runtime::Result<u64> {
                #q_upd
                #p::execute(::repo_runtime::Executor::source(&self.executor), &QUERY, &[#update_params]).await
            }

            async fn upsert(&self, row: &#ety) -> ::repo_runtime::Result<u64> {
                #q_ups
                #p::execute(::repo_runtime::Executor::source(&self.executor), &QUERY, &[#row_params]).await
            }

            async fn delete(&self, key: Self::Key) -> ::repo_runtime::Result<u64> {
                #q_del #key_prelude
                #p::execute(::repo_runtime::Executor::source(&self.executor), &QUERY, &[#key_params]).await
            }

            async fn count(&self) -> ::repo_runtime::Result<i64> {
                #q_cnt
                #p::one::<i64>(::repo_runtime::Executor::source(&self.executor), &QUERY, &[]).await
            }

            async fn exists(&self, key: Self::Key) -> ::repo_runtime::Result<bool> {
                #q_ex #key_prelude
                #p::one::<bool>(::repo_runtime::Executor::source(&self.executor), &QUERY, &[#key_params]).await
            }
        }
    };
    let mut statements: Vec<(String, String)> =
        stmts.iter().map(|s| (s.method.to_owned(), s.sql.clone())).collect();
    statements.push(("copy_in".into(), copy_sql));
    // COPY itself cannot be described; the select of its columns checks them and their types.
    stmts.push(Stmt {
        method: "copy_in",
        sql: copy_columns_sql,
        types: vec![],
        params: vec![],
        rows: Some((ety, 0)),
    });
    let none = quote!(::core::option::Option::None);
    let verify = stmts
        .iter()
        .map(|s| {
            let rows = s.rows.as_ref().map(|(t, extra)| (t, *extra));
            check_step(&label(s.method), &s.sql, &s.types, &s.params, rows, &none)
        })
        .collect();
    Some(Crud { impl_block, statements, verify })
}
