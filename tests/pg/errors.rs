//! Database errors come back typed, with the constraint that failed.

use repo_runtime::Error;
use repo_runtime::types::Decimal;
use repo_tests::model::{
    Author, AuthorRepository, BookRepository, PgAuthorRepository, PgBookRepository,
};

use super::{book, db};

#[tokio::test]
async fn unique_violation_names_the_constraint() {
    let db = db().await;
    let client = db.client().await;
    let authors = PgAuthorRepository::new(&client);
    authors.insert(&Author { id: 1, name: "Ann".into() }).await.unwrap();
    let err = authors.insert(&Author { id: 2, name: "Ann".into() }).await.unwrap_err();
    match &err {
        Error::UniqueViolation { constraint, .. } => assert_eq!(constraint, "authors_name_key"),
        other => panic!("expected a unique violation, got {other:?}"),
    }
    assert_eq!(err.constraint(), Some("authors_name_key"));
    let pk = authors.insert(&Author { id: 1, name: "Bob".into() }).await.unwrap_err();
    assert_eq!(pk.constraint(), Some("authors_pkey"));
}

#[tokio::test]
async fn foreign_key_and_check_violations_name_the_constraint() {
    let db = db().await;
    let client = db.client().await;
    let books = PgBookRepository::new(&client);
    let mut b = book(1);
    b.author_id = Some(404);
    match books.insert(&b).await.unwrap_err() {
        Error::ForeignKeyViolation { constraint, .. } => assert_eq!(constraint, "books_author_fk"),
        other => panic!("expected a foreign key violation, got {other:?}"),
    }
    let mut b = book(2);
    b.price = Decimal::new(-1, 0);
    match books.insert(&b).await.unwrap_err() {
        Error::CheckViolation { constraint, .. } => assert_eq!(constraint, "books_price_positive"),
        other => panic!("expected a check violation, got {other:?}"),
    }
    assert_eq!(books.count().await.unwrap(), 0, "failed writes leave nothing behind");
}

#[tokio::test]
async fn more_than_one_row_for_an_option_is_an_error() {
    let db = db().await;
    let client = db.client().await;
    client.batch_execute("ALTER TABLE books DROP CONSTRAINT books_pkey").await.unwrap();
    let books = PgBookRepository::new(&client);
    books.insert(&book(1)).await.unwrap();
    books.insert(&book(1)).await.unwrap();
    assert!(matches!(
        books.get(1).await,
        Err(Error::TooManyRows { method: "BookRepository::get" })
    ));
}

#[tokio::test]
async fn other_server_errors_name_the_method_the_sqlstate_and_the_message() {
    let db = db().await;
    let client = db.client().await;
    let books = PgBookRepository::new(&client);
    books.insert(&book(1)).await.unwrap();
    // The schema moved under the running code: the statement fails on the server.
    client.batch_execute("ALTER TABLE books RENAME TO books_elsewhere").await.unwrap();
    let err = PgBookRepository::new(&client).get(1).await.unwrap_err();
    assert!(matches!(err, Error::Db { method: "BookRepository::get", .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "BookRepository::get: database error 42P01: relation \"books\" does not exist"
    );
    assert_eq!(err.code().map(|c| c.code()), Some("42P01"));
}
