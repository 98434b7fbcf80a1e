//! The generated CRUD: single and composite keys, every statement, and COPY of every type.

use repo_runtime::{Crud, Error};
use repo_tests::model::{Author, Authors, EverythingCrud, OrderLine, PgOrderLineRepository};

use super::db;
use super::types::{full, nulls};

fn author(id: i64, name: &str) -> Author {
    Author { id, name: name.into() }
}

#[tokio::test]
async fn single_key_crud() {
    let db = db().await;
    let client = db.client().await;
    let authors = Authors::new(&client);
    assert_eq!(authors.count().await.unwrap(), 0);
    assert_eq!(authors.insert(&author(3, "Clarke")).await.unwrap(), 1);
    assert_eq!(
        authors.insert_returning(&author(1, "Le Guin")).await.unwrap(),
        author(1, "Le Guin")
    );
    assert_eq!(authors.insert_many(&[author(2, "Lem"), author(5, "Banks")]).await.unwrap(), 2);
    assert_eq!(authors.copy_in(&[author(4, "Jemisin"), author(6, "Chiang")]).await.unwrap(), 2);
    assert_eq!(authors.count().await.unwrap(), 6);

    assert_eq!(authors.get(2).await.unwrap(), Some(author(2, "Lem")));
    assert_eq!(authors.get(9).await.unwrap(), None);
    let many = authors.get_many(&[5, 1, 9]).await.unwrap();
    assert_eq!(
        many,
        vec![author(1, "Le Guin"), author(5, "Banks")],
        "in key order, missing keys skipped"
    );

    let page = authors.list(4, 4).await.unwrap();
    assert_eq!((page.items.iter().map(|a| a.id).collect::<Vec<_>>(), page.total), (vec![5, 6], 6));

    assert_eq!(authors.update(&author(2, "Stanisław Lem")).await.unwrap(), 1);
    assert_eq!(authors.update(&author(99, "Nobody")).await.unwrap(), 0);
    assert_eq!(authors.upsert(&author(2, "S. Lem")).await.unwrap(), 1);
    assert_eq!(authors.upsert(&author(7, "Tchaikovsky")).await.unwrap(), 1);
    assert_eq!(authors.get(2).await.unwrap().unwrap().name, "S. Lem");
    assert!(authors.exists(7).await.unwrap());

    assert_eq!(authors.delete(7).await.unwrap(), 1);
    assert!(!authors.exists(7).await.unwrap());
    assert_eq!(authors.delete(7).await.unwrap(), 0);

    match authors.insert(&author(8, "Clarke")).await {
        Err(Error::UniqueViolation { constraint, .. }) => {
            assert_eq!(constraint, "authors_name_key");
        }
        other => panic!("expected a unique violation, got {other:?}"),
    }
    match authors.copy_in(&[author(10, "New"), author(1, "Dup")]).await {
        Err(Error::UniqueViolation { constraint, .. }) => assert_eq!(constraint, "authors_pkey"),
        other => panic!("expected a unique violation from COPY, got {other:?}"),
    }
    assert!(!authors.exists(10).await.unwrap(), "a failed COPY writes nothing");
}

#[tokio::test]
async fn composite_key_crud() {
    let db = db().await;
    let client = db.client().await;
    let lines = PgOrderLineRepository::new(&client);
    let line = |o: i64, n: i32, sku: &str| OrderLine { order_id: o, line_no: n, sku: sku.into() };
    lines.insert_many(&[line(1, 1, "a"), line(1, 2, "b"), line(2, 1, "c")]).await.unwrap();
    assert_eq!(lines.get((1, 2)).await.unwrap(), Some(line(1, 2, "b")));
    assert_eq!(lines.get((2, 2)).await.unwrap(), None);
    let many = lines.get_many(&[(2, 1), (1, 1), (3, 3)]).await.unwrap();
    assert_eq!(many, vec![line(1, 1, "a"), line(2, 1, "c")]);
    assert_eq!(lines.upsert(&line(2, 1, "z")).await.unwrap(), 1);
    assert_eq!(lines.get((2, 1)).await.unwrap().unwrap().sku, "z");
    assert_eq!(lines.delete((1, 1)).await.unwrap(), 1);
    assert!(!lines.exists((1, 1)).await.unwrap());
    assert!(lines.exists((1, 2)).await.unwrap());
    assert_eq!(lines.count().await.unwrap(), 2);
    let page = lines.list(1, 1).await.unwrap();
    assert_eq!((page.items, page.total), (vec![line(2, 1, "z")], 2));
}

#[tokio::test]
async fn copy_in_and_insert_many_round_trip_every_type() {
    let db = db().await;
    let client = db.client().await;
    let table = EverythingCrud::new(&client);
    assert_eq!(table.copy_in(&[full(1), nulls(2)]).await.unwrap(), 2);
    assert_eq!(
        table.insert_many(&[full(3), nulls(4)]).await.unwrap(),
        2,
        "array fields go through UNNEST too"
    );
    assert_eq!(table.get(1).await.unwrap(), Some(full(1)));
    assert_eq!(table.get(2).await.unwrap(), Some(nulls(2)));
    assert_eq!(table.get(3).await.unwrap(), Some(full(3)));
    assert_eq!(table.get(4).await.unwrap(), Some(nulls(4)));
}
