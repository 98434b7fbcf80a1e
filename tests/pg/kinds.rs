//! Every return kind and placeholder, against the real database.

use futures_util::TryStreamExt;
use repo_runtime::Error;
use repo_runtime::types::Decimal;
use repo_tests::model::{
    Author, AuthorRepository, BookRepository, Format, Genre, OrderLine, OrderLineRepository,
    PgAuthorRepository, PgBookRepository, PgOrderLineRepository, TitleAndAuthor,
};

use super::{book, db};

#[tokio::test]
async fn option_one_and_affected() {
    let db = db().await;
    let client = db.client().await;
    let books = PgBookRepository::new(&client);
    assert_eq!(books.get(1).await.unwrap(), None);
    assert!(matches!(
        books.get_one(1).await,
        Err(Error::NotFound { method: "BookRepository::get_one" })
    ));
    assert_eq!(books.insert(&book(1)).await.unwrap(), 1);
    assert_eq!(books.get(1).await.unwrap(), Some(book(1)));
    assert_eq!(books.get_one(1).await.unwrap(), book(1));
}

#[tokio::test]
async fn returning_update_delete_exists() {
    let db = db().await;
    let client = db.client().await;
    let books = PgBookRepository::new(&client);
    let mut b = book(7);
    b.note = "not stored".into();
    let back = books.insert_returning(&b).await.unwrap();
    assert_eq!(back, book(7), "skipped fields come back as their default");
    b.title = "Renamed".into();
    b.created_at = chrono::Utc::now();
    assert_eq!(books.update(&b).await.unwrap(), 1);
    let stored = books.get_one(7).await.unwrap();
    assert_eq!(stored.title, "Renamed");
    assert_eq!(
        stored.created_at,
        book(7).created_at,
        "--exclude created_at leaves the column alone"
    );
    assert!(books.exists(7).await.unwrap());
    books.delete(7).await.unwrap();
    assert!(!books.exists(7).await.unwrap());
    assert_eq!(books.update(&b).await.unwrap(), 0);
}

#[tokio::test]
async fn lists_filters_and_ordering() {
    let db = db().await;
    let client = db.client().await;
    let books = PgBookRepository::new(&client);
    for id in 1..=6 {
        books.insert(&book(id)).await.unwrap();
    }
    let many = books.get_many(&[5, 2, 9]).await.unwrap();
    assert_eq!(many.iter().map(|b| b.id).collect::<Vec<_>>(), vec![2, 5]);
    let fiction = books.by_genre_and_format(Genre::Fiction, Format::Paperback).await.unwrap();
    assert_eq!(fiction.iter().map(|b| b.id).collect::<Vec<_>>(), vec![2, 4, 6]);
    assert!(books.by_genre_and_format(Genre::Fiction, Format::Ebook).await.unwrap().is_empty());
    let top = books.most_expensive(2).await.unwrap();
    assert_eq!(top.iter().map(|b| b.id).collect::<Vec<_>>(), vec![6, 5]);
    let mid = books.second_and_third().await.unwrap();
    assert_eq!(mid.iter().map(|b| b.id).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(books.count().await.unwrap(), 6);
    assert_eq!(books.ids_and_titles().await.unwrap()[0], (1, "Book 1".to_owned()));
}

#[tokio::test]
async fn pages_carry_the_total() {
    let db = db().await;
    let client = db.client().await;
    let books = PgBookRepository::new(&client);
    for id in 1..=7 {
        books.insert(&book(id)).await.unwrap();
    }
    // Fiction: 2, 4, 6.
    let first = books.page_by_genre(Genre::Fiction, 2, 0).await.unwrap();
    assert_eq!(first.items.iter().map(|b| b.id).collect::<Vec<_>>(), vec![2, 4]);
    assert_eq!(first.total, 3);
    assert_eq!(first.page_count(2), 2);
    let second = books.page_by_genre(Genre::Fiction, 2, 2).await.unwrap();
    assert_eq!(second.items.iter().map(|b| b.id).collect::<Vec<_>>(), vec![6]);
    assert_eq!(second.total, 3);
    let past_the_end = books.page_by_genre(Genre::Fiction, 2, 10).await.unwrap();
    assert!(past_the_end.items.is_empty());
    assert_eq!(past_the_end.total, 3, "the total survives a page past the end");
    let none = books.page_by_genre(Genre::Other, 2, 0).await.unwrap();
    assert_eq!((none.items.len(), none.total), (0, 0));
}

#[tokio::test]
async fn scalars_options_and_projections() {
    let db = db().await;
    let client = db.client().await;
    let books = PgBookRepository::new(&client);
    let authors = PgAuthorRepository::new(&client);
    assert_eq!(books.max_price(Genre::Fiction).await.unwrap(), None, "NULL aggregate is None");
    assert_eq!(books.title_of(1).await.unwrap(), None, "no row is None");
    authors.insert(&Author { id: 1, name: "Le Guin".into() }).await.unwrap();
    let mut b = book(2);
    b.author_id = Some(1);
    books.insert(&b).await.unwrap();
    books.insert(&book(3)).await.unwrap();
    assert_eq!(books.max_price(Genre::Fiction).await.unwrap(), Some(Decimal::new(1002, 2)));
    assert_eq!(books.title_of(2).await.unwrap().as_deref(), Some("Book 2"));
    let rows = books.titles_with_authors().await.unwrap();
    assert_eq!(
        rows,
        vec![
            TitleAndAuthor { title: "Book 2".into(), author: Some("Le Guin".into()) },
            TitleAndAuthor { title: "Book 3".into(), author: None },
        ]
    );
    let same = books.same_title(&book(3)).await.unwrap();
    assert_eq!(same.iter().map(|b| b.id).collect::<Vec<_>>(), vec![3]);
}

#[tokio::test]
async fn stream_yields_every_row_in_order() {
    let db = db().await;
    let pool = db.pool(2, std::time::Duration::from_secs(5));
    let books = PgBookRepository::new(pool.clone());
    books.insert_many(&(1..=50).map(book).collect::<Vec<_>>()).await.unwrap();
    let stream = books.stream_all().await.unwrap();
    let ids: Vec<i64> = stream.map_ok(|b| b.id).try_collect().await.unwrap();
    assert_eq!(ids, (1..=50).collect::<Vec<_>>());
    assert_eq!(
        pool.status().available,
        1,
        "the connection went back to the pool when the stream ended"
    );
}

#[tokio::test]
async fn batch_insert_of_ten_thousand_rows_is_one_statement() {
    let db = db().await;
    let client = db.client().await;
    let books = PgBookRepository::new(&client);
    let rows: Vec<_> = (1..=10_000).map(book).collect();
    assert_eq!(books.insert_many(&rows).await.unwrap(), 10_000);
    assert_eq!(books.count().await.unwrap(), 10_000);
    assert_eq!(books.get(9_999).await.unwrap(), Some(book(9_999)));
    let sql = PgBookRepository::<()>::STATEMENTS
        .iter()
        .find(|(m, _)| *m == "insert_many")
        .map(|(_, s)| *s)
        .unwrap();
    assert_eq!(
        sql,
        "INSERT INTO books (id, author_id, title, price, genre, format, published, created_at) \
         SELECT * FROM UNNEST($1, $2, $3, $4, $5, $6, $7, $8)"
    );
}

#[tokio::test]
async fn composite_keys() {
    let db = db().await;
    let client = db.client().await;
    let lines = PgOrderLineRepository::new(&client);
    let rows = vec![
        OrderLine { order_id: 1, line_no: 1, sku: "a".into() },
        OrderLine { order_id: 1, line_no: 2, sku: "b".into() },
        OrderLine { order_id: 2, line_no: 1, sku: "c".into() },
    ];
    assert_eq!(lines.insert_lines(&rows).await.unwrap(), 3);
    assert_eq!(lines.by_key(1, 2).await.unwrap(), Some(rows[1].clone()));
    assert_eq!(lines.by_key(2, 2).await.unwrap(), None);
    let changed = OrderLine { sku: "z".into(), ..rows[2].clone() };
    assert_eq!(lines.update_line(&changed).await.unwrap(), 1);
    assert_eq!(lines.by_key(2, 1).await.unwrap(), Some(changed));
    assert_eq!(lines.by_key(1, 1).await.unwrap(), Some(rows[0].clone()), "other rows untouched");
}

#[tokio::test]
async fn optional_clauses_every_combination() {
    let db = db().await;
    let client = db.client().await;
    let books = PgBookRepository::new(&client);
    for id in 1..=6 {
        books.insert(&book(id)).await.unwrap();
    }
    let ids = |v: Vec<repo_tests::model::Book>| v.iter().map(|b| b.id).collect::<Vec<_>>();
    let min = Decimal::new(1002, 2); // books 2..=6
    // Neither condition: only the required filter.
    assert_eq!(ids(books.search(min, None, &[]).await.unwrap()), vec![2, 3, 4, 5, 6]);
    // `genre` only.
    assert_eq!(ids(books.search(min, Some(Genre::Fiction), &[]).await.unwrap()), vec![2, 4, 6]);
    // `ids` only.
    assert_eq!(ids(books.search(min, None, &[1, 3, 5]).await.unwrap()), vec![3, 5]);
    // Both.
    assert_eq!(ids(books.search(min, Some(Genre::NonFiction), &[1, 2, 3]).await.unwrap()), vec![3]);

    let statements: Vec<&str> = PgBookRepository::<()>::STATEMENTS
        .iter()
        .filter(|(m, _)| *m == "search")
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(statements.len(), 4, "one static statement per combination");

    let mut b = book(7);
    b.format = Format::Ebook;
    books.insert(&b).await.unwrap();
    let all = books.page_by_format(None, 3, 0).await.unwrap();
    assert_eq!((all.items.len(), all.total), (3, 7));
    let ebooks = books.page_by_format(Some(Format::Ebook), 3, 0).await.unwrap();
    assert_eq!((ids(ebooks.items), ebooks.total), (vec![7], 1));
    let past = books.page_by_format(Some(Format::Paperback), 3, 9).await.unwrap();
    assert_eq!((past.items.len(), past.total), (0, 6));
}
