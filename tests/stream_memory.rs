//! Streaming 100,000 rows holds a bounded amount of memory: the heap peak while streaming is
//! measured by dhat and compared with what holding the rows would take.

#![allow(clippy::unwrap_used)]

use futures_util::TryStreamExt;
use repo_tests::db::TestDb;
use repo_tests::model::{Book, BookRepository, PgBookRepository, SCHEMA};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const ROWS: i64 = 100_000;

#[tokio::test]
async fn streaming_a_hundred_thousand_rows_holds_constant_memory() {
    let db = TestDb::new(SCHEMA).await;
    let client = db.client().await;
    client
        .execute(
            "INSERT INTO books (id, title, price, genre, format, created_at)
             SELECT g, 'A title long enough to matter, number ' || g, g / 100.0, 1, 'paperback', now()
             FROM generate_series(1, $1::int8) g",
            &[&ROWS],
        )
        .await
        .unwrap();
    let books = PgBookRepository::new(&client);

    let profiler = dhat::Profiler::builder().testing().build();
    let mut stream = books.stream_all().await.unwrap();
    let (mut count, mut last_id, mut title_bytes) = (0i64, 0i64, 0usize);
    while let Some(book) = stream.try_next().await.unwrap() {
        assert!(book.id > last_id, "rows arrive in order");
        last_id = book.id;
        title_bytes += book.title.len();
        count += 1;
    }
    drop(stream);
    let peak = dhat::HeapStats::get().max_bytes;
    drop(profiler);
    eprintln!("streaming heap peak: {peak} bytes");

    assert_eq!(count, ROWS);
    // Holding the rows would take at least their structs and their titles.
    let held = ROWS as usize * size_of::<Book>() + title_bytes;
    assert!(held > 10_000_000, "the data set is large enough to tell: {held} bytes");
    assert!(
        peak < held / 20,
        "streaming peaked at {peak} bytes of heap; holding the rows takes {held}"
    );
}
