//! Array-valued fields in one batch statement: `<<unnest>>` and the generated `insert_many`
//! send each as its rows' elements laid end to end plus each row's bounds, since UNNEST takes
//! one-dimensional arrays only.

use repo_runtime::{Crud, Entity, Result, repository_for};
use repo_tests::db::TestDb;

use crate::enums::Mood;

/// Checked against `enum_migrations/` while compiling.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "tagged", schema = "enum_migrations")]
pub(crate) struct Tagged {
    #[entity(key)]
    pub id: i64,
    pub tags: Vec<String>,
    /// An array of a PostgreSQL ENUM, or NULL.
    pub moods: Option<Vec<Mood>>,
    pub scores: Vec<Option<i32>>,
    pub note: String,
}

#[repository_for(Tagged, name = TaggedRows, crud)]
pub(crate) trait TaggedRepository {
    #[sql("INSERT INTO <<table>> (<<columns>>) <<unnest>>")]
    async fn add_all(&self, rows: &[Tagged]) -> Result<u64>;

    #[sql("SELECT <<columns>> FROM <<table>> ORDER BY id")]
    async fn all(&self) -> Result<Vec<Tagged>>;
}

async fn db() -> TestDb {
    TestDb::new(concat!(
        include_str!("enum_migrations/0001_shelves.sql"),
        include_str!("enum_migrations/0002_tagged.sql")
    ))
    .await
}

fn tagged(id: i64, tags: &[&str], moods: Option<Vec<Mood>>, scores: Vec<Option<i32>>) -> Tagged {
    let tags = tags.iter().map(|t| (*t).to_owned()).collect();
    Tagged { id, tags, moods, scores, note: format!("row {id}") }
}

/// Rows whose arrays are long, empty, NULL, hold NULLs and text that array literals quote.
fn rows(first: i64) -> Vec<Tagged> {
    vec![
        tagged(
            first,
            &["a", "b,c", "\"q\"", "NULL", "{x}", ""],
            Some(vec![Mood::Loud, Mood::Ebook]),
            vec![Some(1), None, Some(3)],
        ),
        tagged(first + 1, &[], None, vec![]),
        tagged(first + 2, &["only"], Some(vec![]), vec![None]),
        tagged(first + 3, &["x", "y"], Some(vec![Mood::Calm]), vec![Some(-7)]),
    ]
}

#[tokio::test]
async fn array_fields_batch_through_unnest_and_insert_many() {
    let db = db().await;
    let client = db.client().await;
    let repo = TaggedRows::new(&client);
    let mut expected = rows(1);
    assert_eq!(repo.add_all(&expected).await.unwrap(), 4);
    assert_eq!(repo.insert_many(&rows(5)).await.unwrap(), 4);
    expected.extend(rows(5));
    // A batch whose arrays are all empty or NULL, and an empty batch.
    let empty = [tagged(9, &[], None, vec![]), tagged(10, &[], Some(vec![]), vec![])];
    assert_eq!(repo.insert_many(&empty).await.unwrap(), 2);
    expected.extend(empty);
    assert_eq!(repo.add_all(&[]).await.unwrap(), 0);
    assert_eq!(repo.all().await.unwrap(), expected);
    // NULL and empty arrays are stored as such, not confused.
    let nulls: Vec<(i64, bool)> = client
        .query("SELECT id, moods IS NULL FROM tagged WHERE id IN (2, 3) ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(nulls, [(2, true), (3, false)]);
    let report = repo.verify().await.unwrap();
    assert!(report.is_ok(), "{report}");
}

#[test]
fn insert_many_is_one_unnest_statement_not_copy() {
    let statement = TaggedRows::<()>::STATEMENTS
        .iter()
        .find(|(method, _)| *method == "insert_many")
        .map(|(_, sql)| *sql)
        .unwrap();
    assert!(statement.contains("FROM UNNEST("), "{statement}");
}

#[test]
fn the_generated_crud_statements_are_typed_from_the_migrations_like_the_users() {
    let methods: Vec<&str> = TaggedRows::<()>::INFERRED.iter().map(|i| i.method).collect();
    assert_eq!(
        methods,
        [
            "add_all",
            "all",
            "get",
            "get_many",
            "list",
            "insert",
            "insert_returning",
            "insert_many",
            "update",
            "upsert",
            "delete",
            "count",
            "exists"
        ]
    );
    let get = TaggedRows::<()>::INFERRED.iter().find(|i| i.method == "get").unwrap();
    let columns: Vec<_> = get.columns.iter().map(|c| (c.name, c.pg_type, c.nullable)).collect();
    assert_eq!(
        columns,
        [
            ("id", Some("int8"), Some(false)),
            ("tags", Some("text[]"), Some(false)),
            ("moods", Some("enum:shelf_mood[]"), Some(true)),
            ("scores", Some("int4[]"), Some(false)),
            ("note", Some("text"), Some(false)),
        ]
    );
}
