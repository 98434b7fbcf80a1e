//! Expansion snapshots (insta + prettyplease): what each derive, placeholder and return kind
//! turns into. Review changes with `cargo insta review`, or `INSTA_UPDATE=always` and `git diff`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::entity::{expand_entity, expand_from_row};
use crate::repo::expand_repository_impl;
use crate::sql_enum::expand_sql_enum;

fn pretty(tokens: TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}

/// The `User` entity as its derive hands it to `repository_impl`.
fn user_meta() -> TokenStream {
    quote! {
        entity User table "users" fields {
            id: i64 = "id" key,
            phone: String = "phone",
            email: Option<String> = "email",
            nick_name: String = "nick",
        }
    }
}

fn repo(methods: TokenStream) -> String {
    let meta = user_meta();
    pretty(expand_repository_impl(quote! {
        #meta
        args(User)
        pub trait UserRepository { #methods }
    }))
}

#[test]
fn derive_entity() {
    let out = expand_entity(syn::parse_quote! {
        #[entity(table = "users")]
        pub struct User {
            #[entity(key)]
            pub id: i64,
            pub phone: String,
            pub email: Option<String>,
            #[entity(rename = "nick")]
            pub nick_name: String,
            #[entity(skip)]
            pub cached: u32,
        }
    });
    insta::assert_snapshot!(pretty(out));
}

#[test]
fn derive_entity_default_table_and_quoting() {
    let out = expand_entity(syn::parse_quote! {
        pub struct OrderLine {
            #[entity(key)]
            pub order_id: i64,
            #[entity(key, rename = "Line")]
            pub line: i32,
        }
    });
    insta::assert_snapshot!(pretty(out));
}

#[test]
fn derive_from_row() {
    let out = expand_from_row(syn::parse_quote! {
        pub struct Summary { pub title: String, pub total: Option<i64> }
    });
    insta::assert_snapshot!(pretty(out));
}

#[test]
fn derive_sql_enum_int() {
    let out = expand_sql_enum(syn::parse_quote! {
        pub enum Status { Queued = -1, Pending, Done = 9 }
    });
    insta::assert_snapshot!(pretty(out));
}

#[test]
fn derive_sql_enum_text() {
    let out = expand_sql_enum(syn::parse_quote! {
        #[sql_enum(text)]
        pub enum Kind { Cat, #[sql_enum(rename = "dog")] Hound, GuineaPig }
    });
    insta::assert_snapshot!(pretty(out));
}

#[test]
fn table_columns_where_id_option() {
    insta::assert_snapshot!(repo(quote! {
        #[sql("SELECT <<columns:auto>> FROM <<table>> WHERE <<where:id>>")]
        async fn get(&self, id: i64) -> Result<Option<User>>;
    }));
}

#[test]
fn columns_options_and_alias() {
    insta::assert_snapshot!(repo(quote! {
        #[sql("SELECT {{columns --prefix u}}, <<columns --exclude id,email>> FROM {{table}} u WHERE u.phone = @phone")]
        async fn exclude(&self, phone: &str) -> Result<Vec<(i64, String, Option<String>, String, String, String)>>;
        #[sql("SELECT <<columns --only phone,nick>> FROM <<table>>")]
        async fn only(&self) -> Result<Vec<(String, String)>>;
    }));
}

#[test]
fn values_and_returning_one() {
    insta::assert_snapshot!(repo(quote! {
        #[sql("INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>) <<returning>>")]
        async fn insert(&self, user: &User) -> Result<User>;
        #[sql("INSERT INTO <<table>> (<<columns --exclude id>>) VALUES (<<values --exclude id>>) <<returning --only id>>")]
        async fn insert_new(&self, user: &User) -> Result<i64>;
    }));
}

#[test]
fn set_with_key_from_entity_affected() {
    insta::assert_snapshot!(repo(quote! {
        #[sql("UPDATE <<table>> SET <<set>> WHERE <<where:id>>")]
        async fn update(&self, user: &User) -> Result<u64>;
        #[sql("UPDATE <<table>> SET <<set --only email>> WHERE <<where:id>>")]
        async fn update_email(&self, user: &User) -> Result<()>;
    }));
}

#[test]
fn where_auto_orderby_limit_offset() {
    insta::assert_snapshot!(repo(quote! {
        #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:auto>> <<orderby:nick_name,id --desc>> <<limit>> <<offset>>")]
        async fn find(&self, phone: &str, email: Option<&str>, limit: i64, offset: i64) -> Result<Vec<User>>;
        #[sql("SELECT <<columns>> FROM <<table>> <<orderby:id>> <<limit --count 10>> <<offset --count 5>>")]
        async fn fixed(&self) -> Result<Vec<User>>;
    }));
}

#[test]
fn paginate_total_page() {
    insta::assert_snapshot!(repo(quote! {
        #[sql("SELECT <<columns>>, <<total>> FROM <<table>> WHERE phone LIKE @prefix <<orderby:id>> <<paginate>>")]
        async fn page(&self, prefix: &str, limit: i64, offset: i64) -> Result<Page<User>>;
        #[sql("SELECT <<columns>>, <<total>> FROM <<table>> <<orderby:id>> <<paginate --count 20>>")]
        async fn page_of_twenty(&self, offset: i64) -> Result<Page<User>>;
    }));
}

#[test]
fn count_scalar_tuple_stream() {
    insta::assert_snapshot!(repo(quote! {
        #[sql("SELECT <<count>> FROM <<table>>")]
        async fn count(&self) -> Result<i64>;
        #[sql("SELECT email FROM <<table>> WHERE <<where:id>>")]
        async fn email_of(&self, id: i64) -> Result<Option<String>>;
        #[sql("SELECT id, phone FROM <<table>>")]
        async fn pairs(&self) -> Result<Vec<(i64, String)>>;
        #[sql("SELECT <<columns>> FROM <<table>> <<orderby:id>>")]
        async fn stream(&self) -> Result<Rows<'_, User>>;
    }));
}

#[test]
fn unnest_batch_insert() {
    insta::assert_snapshot!(repo(quote! {
        #[sql("INSERT INTO <<table>> (<<columns>>) <<unnest>> ON CONFLICT (id) DO NOTHING")]
        async fn insert_many(&self, users: &[User]) -> Result<u64>;
    }));
}

#[test]
fn params_fields_reused_and_operators() {
    insta::assert_snapshot!(repo(quote! {
        #[sql("UPDATE <<table>> SET phone = @user.phone WHERE id = @user.id AND (@user.phone <> '' OR tags @> @tags OR x <@ y OR '@no' = $$@no$$)")]
        async fn odd(&self, user: &User, tags: &[String]) -> Result<u64>;
    }));
}

#[test]
fn optional_clauses() {
    insta::assert_snapshot!(repo(quote! {
        #[sql("SELECT <<columns>> FROM <<table>> WHERE true <<if some(phone)>>AND phone = @phone<</if>> <<if any(ids)>>AND id = ANY(@ids)<</if>> <<orderby:id>>")]
        async fn search(&self, phone: Option<&str>, ids: &[i64]) -> Result<Vec<User>>;
    }));
}

/// `crud` on a single key: every `Crud` method, its statement and its `verify()` step.
#[test]
fn crud_single_key() {
    let meta = user_meta();
    insta::assert_snapshot!(pretty(expand_repository_impl(quote! {
        #meta
        args(User, crud)
        pub trait UserRepository {}
    })));
}

/// `crud` on a composite key: keys as tuples, `get_many` through UNNEST of one array per key
/// column, and an update of a table whose every column is a key.
#[test]
fn crud_composite_key() {
    let out = expand_repository_impl(quote! {
        entity Membership table "memberships" fields {
            group_id: i64 = "group_id" key,
            user_id: i64 = "user_id" key,
        }
        args(Membership, crud)
        pub trait MembershipRepository {}
    });
    insta::assert_snapshot!(pretty(out));
}
