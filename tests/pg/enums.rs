//! A `#[sql_enum(text)]` field in a PostgreSQL ENUM column, through every way of writing:
//! one row, `<<unnest>>`, the generated `insert_many`, and COPY.

use repo_runtime::{Crud, Entity, Result, SqlEnum, repository_for};
use repo_tests::db::TestDb;

/// Stored in the `shelf_mood` ENUM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, SqlEnum)]
#[sql_enum(text)]
pub(crate) enum Mood {
    Calm,
    Loud,
    #[sql_enum(rename = "e-book")]
    Ebook,
}

/// Checked against `enum_migrations/` while compiling.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "shelves", schema = "enum_migrations")]
pub(crate) struct Shelf {
    #[entity(key)]
    pub id: i64,
    pub mood: Mood,
    pub was: Option<Mood>,
    pub label: String,
}

#[repository_for(Shelf, name = Shelves, crud)]
pub(crate) trait ShelfRepository {
    /// One statement for the whole slice.
    #[sql("INSERT INTO <<table>> (<<columns>>) <<unnest>>")]
    async fn add_all(&self, shelves: &[Shelf]) -> Result<u64>;

    /// Every shelf, by key.
    #[sql("SELECT <<columns>> FROM <<table>> ORDER BY id")]
    async fn all(&self) -> Result<Vec<Shelf>>;
}

fn shelf(id: i64, mood: Mood, was: Option<Mood>) -> Shelf {
    Shelf { id, mood, was, label: format!("shelf {id}") }
}

#[tokio::test]
async fn a_text_enum_in_a_postgres_enum_column_batches_through_unnest_insert_many_and_copy() {
    let db = TestDb::new(include_str!("enum_migrations/0001_shelves.sql")).await;
    let client = db.client().await;
    let shelves = Shelves::new(&client);
    assert_eq!(shelves.insert(&shelf(1, Mood::Calm, None)).await.unwrap(), 1);
    let batch = [shelf(2, Mood::Loud, Some(Mood::Calm)), shelf(3, Mood::Ebook, None)];
    assert_eq!(shelves.add_all(&batch).await.unwrap(), 2);
    let batch = [shelf(4, Mood::Ebook, Some(Mood::Loud)), shelf(5, Mood::Calm, Some(Mood::Ebook))];
    assert_eq!(shelves.insert_many(&batch).await.unwrap(), 2);
    assert_eq!(shelves.copy_in(&[shelf(6, Mood::Loud, None)]).await.unwrap(), 1);
    assert_eq!(
        shelves.all().await.unwrap(),
        vec![
            shelf(1, Mood::Calm, None),
            shelf(2, Mood::Loud, Some(Mood::Calm)),
            shelf(3, Mood::Ebook, None),
            shelf(4, Mood::Ebook, Some(Mood::Loud)),
            shelf(5, Mood::Calm, Some(Mood::Ebook)),
            shelf(6, Mood::Loud, None),
        ]
    );
    // The database holds the ENUM's labels.
    let labels: Vec<String> = client
        .query("SELECT mood::text FROM shelves ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(labels, ["calm", "loud", "e-book", "e-book", "calm", "loud"]);
    let report = shelves.verify().await.unwrap();
    assert!(report.is_ok(), "{report}");
}
