//! Integration tests against the real PostgreSQL, each in a fresh database.

#![allow(clippy::unwrap_used)]

mod arrays;
mod crud;
mod enums;
mod errors;
mod executors;
mod kinds;
mod observe;
mod time_crate;
mod typed;
mod types;
mod verify;

use chrono::{NaiveDate, TimeZone, Utc};
use repo_runtime::types::Decimal;
use repo_tests::db::TestDb;
use repo_tests::model::{Book, Format, Genre, SCHEMA};

async fn db() -> TestDb {
    TestDb::new(SCHEMA).await
}

fn book(id: i64) -> Book {
    Book {
        id,
        author_id: None,
        title: format!("Book {id}"),
        price: Decimal::new(1000 + id, 2),
        genre: if id % 2 == 0 { Genre::Fiction } else { Genre::NonFiction },
        format: Format::Paperback,
        published_on: NaiveDate::from_ymd_opt(2020, 1, 1),
        created_at: Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).single().expect("valid time"),
        note: String::new(),
    }
}
