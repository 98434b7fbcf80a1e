//! A NULL and a non-NULL round trip for every supported field type, and the enum encodings.

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use repo_runtime::types::{Decimal, Uuid};
use repo_runtime::{Error, Json};
use repo_tests::model::{
    Dimensions, Everything, EverythingRepository, Format, Genre, PgEverythingRepository,
};

use super::db;

pub(crate) fn full(id: i64) -> Everything {
    let at = Utc.with_ymd_and_hms(2025, 12, 31, 23, 59, 58).single().expect("valid time");
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).expect("valid date");
    let clock = NaiveTime::from_hms_micro_opt(13, 14, 15, 161_718).expect("valid time");
    let uid = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
    let dims = Json(Dimensions { width: 640, height: 480 });
    let doc = serde_json::json!({"tags": ["a", "b"], "n": 1});
    Everything {
        id,
        small: -32_768,
        small_opt: Some(32_767),
        int: i32::MIN,
        int_opt: Some(i32::MAX),
        big: i64::MIN,
        big_opt: Some(i64::MAX),
        real: 1.5,
        real_opt: Some(-0.25),
        dbl: std::f64::consts::PI,
        dbl_opt: Some(f64::MIN_POSITIVE),
        flag: true,
        flag_opt: Some(false),
        text: "ünïcødé ✓ 'quoted' \"double\"".into(),
        text_opt: Some(String::new()),
        bytes: vec![0, 1, 2, 255],
        bytes_opt: Some(Vec::new()),
        at,
        at_opt: Some(at),
        day,
        day_opt: Some(day),
        clock,
        clock_opt: Some(clock),
        uid,
        uid_opt: Some(uid),
        money: Decimal::new(-12_345_678, 2),
        money_opt: Some(Decimal::new(1, 2)),
        doc: doc.clone(),
        doc_opt: Some(doc),
        typed: dims.clone(),
        typed_opt: Some(dims),
        list: vec![1, -2, 3],
        list_opt: Some(Vec::new()),
        genre: Genre::Other,
        genre_opt: Some(Genre::NonFiction),
        format: Format::Ebook,
        format_opt: Some(Format::Hardcover),
    }
}

pub(crate) fn nulls(id: i64) -> Everything {
    Everything {
        small_opt: None,
        int_opt: None,
        big_opt: None,
        real_opt: None,
        dbl_opt: None,
        flag_opt: None,
        text_opt: None,
        bytes_opt: None,
        at_opt: None,
        day_opt: None,
        clock_opt: None,
        uid_opt: None,
        money_opt: None,
        doc_opt: None,
        typed_opt: None,
        list_opt: None,
        genre_opt: None,
        format_opt: None,
        ..full(id)
    }
}

#[tokio::test]
async fn every_type_round_trips_with_and_without_null() {
    let db = db().await;
    let client = db.client().await;
    let repo = PgEverythingRepository::new(&client);
    repo.insert(&full(1)).await.unwrap();
    repo.insert(&nulls(2)).await.unwrap();
    assert_eq!(repo.get(1).await.unwrap(), Some(full(1)));
    assert_eq!(repo.get(2).await.unwrap(), Some(nulls(2)));
    let raw = client
        .query_one(r#"SELECT small_opt IS NULL, doc_opt IS NULL, genre, format FROM "Everything" WHERE id = 2"#, &[])
        .await
        .unwrap();
    assert!(raw.get::<_, bool>(0) && raw.get::<_, bool>(1), "None is stored as NULL");
    assert_eq!(raw.get::<_, i16>(2), 99, "int enums store their discriminant");
    assert_eq!(raw.get::<_, String>(3), "e-book", "text enums store their (renamed) name");
}

#[tokio::test]
async fn unknown_enum_values_are_decode_errors() {
    let db = db().await;
    let client = db.client().await;
    let repo = PgEverythingRepository::new(&client);
    repo.insert(&full(1)).await.unwrap();
    client.execute(r#"UPDATE "Everything" SET genre = 7, format = 'scroll'"#, &[]).await.unwrap();
    match repo.get(1).await {
        Err(Error::Decode { column, .. }) => assert_eq!(column, "genre"),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn text_enums_match_postgres_enum_types() {
    let db = db().await;
    let client = db.client().await;
    client
        .batch_execute("CREATE TYPE fmt AS ENUM ('hardcover', 'paperback', 'e-book'); CREATE TABLE t (f fmt NOT NULL)")
        .await
        .unwrap();
    client.execute("INSERT INTO t VALUES ($1)", &[&Format::Ebook]).await.unwrap();
    let f: Format = client.query_one("SELECT f FROM t", &[]).await.unwrap().get(0);
    assert_eq!(f, Format::Ebook);
}
