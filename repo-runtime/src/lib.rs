//! PostgreSQL repositories generated at compile time.
//!
//! Annotate a trait with [`repository_for`] and give each method a SQL template; the macro
//! expands every template into a static statement while compiling, checks its placeholders and
//! parameters against the entity and the method, and generates an implementation over any
//! [`Executor`]: a `deadpool_postgres::Pool` (a connection per call), a pooled client, a client
//! made by [`connect`], or a transaction of one of them. Statements are prepared once per
//! connection and rows are read by column index — the code a careful person would write by hand.
//!
//! ```no_run
//! use repo_runtime::{Entity, Result, repository_for};
//!
//! #[derive(Debug, Clone, PartialEq, Entity)]
//! #[entity(table = "books")]
//! pub struct Book {
//!     #[entity(key)]
//!     pub id: i64,
//!     pub title: String,
//!     pub author: Option<String>,
//! }
//!
//! #[repository_for(Book)]
//! pub trait BookRepository {
//!     #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>")]
//!     async fn get(&self, id: i64) -> Result<Option<Book>>;
//!
//!     #[sql("INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>)")]
//!     async fn insert(&self, book: &Book) -> Result<u64>;
//!
//!     #[sql("SELECT <<columns>> FROM <<table>> WHERE title ILIKE @pattern <<orderby:title>>")]
//!     async fn search(&self, pattern: &str) -> Result<Vec<Book>>;
//! }
//!
//! # async fn demo(pool: deadpool_postgres::Pool) -> Result<()> {
//! let books = PgBookRepository::new(pool);
//! books.insert(&Book { id: 1, title: "Dune".into(), author: None }).await?;
//! assert!(books.get(1).await?.is_some());
//! # Ok(()) }
//! ```
//!
//! The template language, the return kinds and every diagnostic are described on
//! [`repository_for`].

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod call;
mod crud;
mod enums;
mod error;
mod executor;
mod observe;
mod row;
mod stream;
mod transaction;
mod verify;

pub use crud::Crud;
pub use error::{Error, InvalidValue, Result};
pub use executor::{CachedClient, Checkout, Executor, SheddingPool, Uncached, connect};
pub use observe::{QueryEvent, QueryObserver, set_query_observer};
pub use row::{ArrayField, Entity, FromRow, UnnestType};
pub use stream::{Page, Rows};

/// The former name of [`Rows`], which shared its name with `tokio_postgres::RowStream`.
#[deprecated(note = "renamed `Rows`")]
pub type RowStream<'a, T> = Rows<'a, T>;
pub use transaction::transaction;
pub use verify::{Inferred, InferredColumn, Problem, VerifyReport};

/// JSON stored in a `JSON`/`JSONB` column and read into a typed Rust value.
#[cfg(feature = "serde_json")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde_json")))]
pub use postgres_types::Json;

#[doc = include_str!("docs/entity.md")]
pub use repo_derive::Entity;

#[doc = include_str!("docs/from_row.md")]
pub use repo_derive::FromRow;

#[doc = include_str!("docs/sql_enum.md")]
pub use repo_derive::SqlEnum;

#[doc = include_str!("docs/repository_for.md")]
pub use repo_derive::repository_for;

/// The crates whose types appear in entity fields, re-exported so users pin one version. Each
/// comes with the crate feature of its name; all but `time` are on by default.
pub mod types {
    #[cfg(feature = "chrono")]
    #[cfg_attr(docsrs, doc(cfg(feature = "chrono")))]
    pub use chrono;
    #[cfg(feature = "rust_decimal")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rust_decimal")))]
    pub use rust_decimal::Decimal;
    #[cfg(feature = "serde_json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "serde_json")))]
    pub use serde_json;
    #[cfg(feature = "time")]
    #[cfg_attr(docsrs, doc(cfg(feature = "time")))]
    pub use time;
    pub use tokio_postgres::types::{FromSql, ToSql, Type};
    #[cfg(feature = "uuid")]
    #[cfg_attr(docsrs, doc(cfg(feature = "uuid")))]
    pub use uuid::Uuid;
}

/// Items used by generated code. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::call::{Paging, Query, all, execute, one, opt, page, stream};
    pub use crate::crud::copy_in;
    pub use crate::enums::*;
    pub use crate::executor::{Conn, Params, Source};
    pub use crate::row::{
        ColumnShape, FieldShape, FieldType, Flat, assert_columns, assert_width, column, flatten,
    };
    pub use crate::verify::{ParamCheck, RowCheck};
    pub use bytes::BytesMut;
    pub use repo_derive::__repository_impl as repository_impl;
    pub use std::any::type_name;
    pub use tokio_postgres::Row;
    pub use tokio_postgres::types::{FromSql, FromSqlOwned, IsNull, ToSql, Type, to_sql_checked};

    /// A type a mapped field can have: `FromSql` for every lifetime. Named in the entity's
    /// bounds so that a field of another type is reported in these words, on the field.
    #[diagnostic::on_unimplemented(
        message = "a field of type `{Self}` cannot be read from a PostgreSQL column",
        label = "`{Self}` does not implement tokio_postgres's `FromSql`",
        note = "fields are read with `FromSql`: i16, i32, i64, f32, f64, bool, String, Vec<u8>, chrono's dates and times, Uuid, Decimal, serde_json::Value and Json<T>, Option and Vec of these, or an enum with `#[derive(SqlEnum)]`",
        note = "implement `FromSql` for your own type, or leave the field out with `#[entity(skip)]` (it is then filled with `Default`)"
    )]
    pub trait Column: Sized {
        /// Reads column `index` of `row`.
        fn read(row: &Row, index: usize) -> crate::Result<Self>;
        /// Whether a column of PostgreSQL type `ty` can be read into `Self`.
        fn accepts(ty: &Type) -> bool;
    }

    impl<T: FromSqlOwned> Column for T {
        #[inline]
        fn read(row: &Row, index: usize) -> crate::Result<Self> {
            column(row, index)
        }

        #[inline]
        fn accepts(ty: &Type) -> bool {
            <T as FromSql<'static>>::accepts(ty)
        }
    }

    /// A type a method argument can have: `ToSql + Sync`. Named in the repository's bounds so
    /// that an argument of another type is reported in these words, on the argument.
    #[diagnostic::on_unimplemented(
        message = "an argument of type `{Self}` cannot be sent as a PostgreSQL parameter",
        label = "`{Self}` does not implement tokio_postgres's `ToSql`",
        note = "parameters are sent with `ToSql`: i16, i32, i64, f32, f64, bool, &str, String, &[u8], chrono's dates and times, Uuid, Decimal, serde_json::Value and Json<T>, Option of these, slices and Vecs of these for arrays (`= ANY(@ids)`), or an enum with `#[derive(SqlEnum)]`",
        note = "convert the value first (e.g. a `Duration` to `i64` milliseconds), or implement `ToSql` for your own type"
    )]
    pub trait Param {
        /// The value as generated code passes it.
        fn param(&self) -> &(dyn ToSql + Sync);
        /// Whether a parameter of PostgreSQL type `ty` accepts `Self`.
        fn accepts(ty: &Type) -> bool
        where
            Self: Sized;
    }

    impl<T: ToSql + Sync> Param for T {
        #[inline]
        fn param(&self) -> &(dyn ToSql + Sync) {
            self
        }

        #[inline]
        fn accepts(ty: &Type) -> bool {
            <T as ToSql>::accepts(ty)
        }
    }

    /// Boxed error type of `ToSql`/`FromSql`.
    pub type BoxError = Box<dyn std::error::Error + Sync + Send>;

    /// Compile-time assertion target: names the trait in the error when `T` is not an entity.
    pub const fn assert_entity<T: crate::Entity>() {}

    /// What `<<if some(arg)>>` tests.
    #[diagnostic::on_unimplemented(
        message = "`<<if some(…)>>` tests an `Option` argument, and `{Self}` is not an `Option`",
        label = "not an `Option`",
        note = "make the argument `Option<…>`, or use `<<if any(arg)>>` for a slice"
    )]
    pub trait OptionalArg {
        /// `Some`.
        fn is_present(&self) -> bool;
    }

    impl<T> OptionalArg for Option<T> {
        #[inline]
        fn is_present(&self) -> bool {
            self.is_some()
        }
    }

    /// What `<<if any(arg)>>` tests.
    #[diagnostic::on_unimplemented(
        message = "`<<if any(…)>>` tests a slice argument, and `{Self}` is not a slice or `Vec`",
        label = "not a slice",
        note = "make the argument `&[…]`, or use `<<if some(arg)>>` for an `Option`"
    )]
    pub trait ManyArg {
        /// Not empty.
        fn has_any(&self) -> bool;
    }

    impl<T> ManyArg for [T] {
        #[inline]
        fn has_any(&self) -> bool {
            !self.is_empty()
        }
    }

    impl<T> ManyArg for Vec<T> {
        #[inline]
        fn has_any(&self) -> bool {
            !self.is_empty()
        }
    }

    impl<T: ManyArg + ?Sized> ManyArg for &T {
        #[inline]
        fn has_any(&self) -> bool {
            (**self).has_any()
        }
    }

    /// Compile-time assertion target for batch-insert field types.
    pub const fn assert_unnest<T: crate::UnnestType>() {}
}
