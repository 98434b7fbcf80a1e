//! `verify()` against the migrated database: every repository passes, and drift is caught
//! with the method and column named.

use repo_runtime::VerifyReport;
use repo_tests::model::{
    PgAuthorRepository, PgBookRepository, PgEverythingRepository, PgOrderLineRepository,
};

use super::db;

async fn verify_all(client: &repo_runtime::CachedClient) -> VerifyReport {
    let mut report = VerifyReport::default();
    report.merge(PgAuthorRepository::new(client).verify().await.unwrap());
    report.merge(PgBookRepository::new(client).verify().await.unwrap());
    report.merge(PgEverythingRepository::new(client).verify().await.unwrap());
    report.merge(PgOrderLineRepository::new(client).verify().await.unwrap());
    report
}

fn statement_count() -> usize {
    PgAuthorRepository::<()>::STATEMENTS.len()
        + PgBookRepository::<()>::STATEMENTS.len()
        + PgEverythingRepository::<()>::STATEMENTS.len()
        + PgOrderLineRepository::<()>::STATEMENTS.len()
}

#[tokio::test]
async fn every_repository_matches_the_schema() {
    let db = db().await;
    let client = db.client().await;
    let report = verify_all(&client).await;
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.checked, statement_count());
}

#[tokio::test]
async fn a_drifted_column_type_is_reported_by_method_and_column() {
    let db = db().await;
    let client = db.client().await;
    client.batch_execute("ALTER TABLE books ALTER COLUMN created_at TYPE TIMESTAMP").await.unwrap();
    let report = PgBookRepository::new(&client).verify().await.unwrap();
    assert!(!report.is_ok());
    let get = report
        .problems
        .iter()
        .find(|p| p.method == "BookRepository::get")
        .expect("get is reported");
    assert_eq!(get.message, "column 7 `created_at` is `timestamp`, which `Book` cannot read");
    let insert = report
        .problems
        .iter()
        .find(|p| p.method == "BookRepository::insert")
        .expect("insert is reported");
    assert_eq!(
        insert.message,
        "parameter $8 is `timestamp`, which `DateTime<Utc>` cannot be sent as"
    );
    let text = report.to_string();
    // Every statement that reads or writes `created_at`: counted once each, however many of
    // its columns and parameters are wrong, and never more than were checked.
    let statements: std::collections::BTreeSet<&str> =
        report.problems.iter().map(|p| p.method).collect();
    assert!(statements.len() <= report.checked);
    assert!(statements.len() < report.problems.len(), "insert_returning has two problems");
    let head = format!(
        "{} of {} statements do not match the database ({} problems):",
        statements.len(),
        report.checked,
        report.problems.len()
    );
    assert!(text.starts_with(&head), "{text}");
    assert!(report.problems.iter().all(|p| !p.method.starts_with("AuthorRepository")));
}

#[tokio::test]
async fn a_dropped_column_fails_to_prepare() {
    let db = db().await;
    let client = db.client().await;
    client.batch_execute("ALTER TABLE order_lines DROP COLUMN sku").await.unwrap();
    let report = PgOrderLineRepository::new(&client).verify().await.unwrap();
    let naming_sku = PgOrderLineRepository::<()>::STATEMENTS
        .iter()
        .filter(|(_, sql)| sql.contains("sku"))
        .count();
    assert!(naming_sku >= 3, "the hand-written and the generated statements name the column");
    assert_eq!(
        report.problems.len(),
        naming_sku,
        "every statement naming `sku` fails, the others pass: {report}"
    );
    assert!(report.problems.iter().all(|p| p.message.contains("column \"sku\"")), "{report}");
}

#[tokio::test]
async fn a_changed_column_count_is_reported() {
    let db = db().await;
    let client = db.client().await;
    client.batch_execute("ALTER TABLE authors ADD COLUMN bio TEXT").await.unwrap();
    let report = verify_all(&client).await;
    assert_eq!(report.problems.len(), 1, "only `SELECT *` notices a new column: {report}");
    assert_eq!(report.problems[0].method, "AuthorRepository::all");
    assert_eq!(report.problems[0].message, "the statement returns 3 columns, `Author` reads 2");
}

#[tokio::test]
async fn columns_in_another_order_than_the_fields_are_reported_by_name() {
    let db = db().await;
    let client = db.client().await;
    // The same columns, created in another order: `SELECT *` now reads `name` into `id`.
    client
        .batch_execute(
            "DROP TABLE authors CASCADE;
             CREATE TABLE authors (name TEXT NOT NULL UNIQUE, id BIGINT PRIMARY KEY);",
        )
        .await
        .unwrap();
    let report = PgAuthorRepository::new(&client).verify().await.unwrap();
    let all: Vec<&str> = report
        .problems
        .iter()
        .filter(|p| p.method == "AuthorRepository::all")
        .map(|p| p.message.as_str())
        .collect();
    assert!(
        all.contains(
            &"column 0 is `name`, but `Author` reads column 0 into `id` (its `name` is column 1): \
              the select list is in another order than the fields; list the columns in field \
              order (`<<columns>>` does)"
        ),
        "{report}"
    );
    assert!(
        report.problems.iter().all(|p| p.method == "AuthorRepository::all"),
        "statements that name their columns read them right: {report}"
    );
}
