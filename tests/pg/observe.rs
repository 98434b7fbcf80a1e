//! The tracing span and the query observer: what they report, and that parameter values are
//! never part of it.

use std::fmt::Debug;
use std::sync::Mutex;

use repo_runtime::{Entity, QueryEvent, QueryObserver, Result, repository_for, set_query_observer};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use super::db;

const SECRET: &str = "secret-value-4242";

/// The `authors` table under an entity of this test's own, so no other test's calls mix in.
#[derive(Debug, Entity)]
#[entity(table = "authors")]
struct Secretive {
    #[entity(key)]
    id: i64,
    name: String,
}

#[repository_for(Secretive)]
trait SecretRepository {
    #[sql("SELECT <<columns>> FROM <<table>> WHERE name = @name")]
    async fn by_name(&self, name: &str) -> Result<Vec<Secretive>>;

    #[sql("INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>)")]
    async fn insert(&self, row: &Secretive) -> Result<u64>;
}

/// The same statements under another name, for the observer test alone: the observer is
/// process-wide and tests run in parallel.
#[repository_for(Secretive)]
trait ObservedRepository {
    #[sql("SELECT <<columns>> FROM <<table>> WHERE name = @name")]
    async fn by_name(&self, name: &str) -> Result<Vec<Secretive>>;

    #[sql("INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>)")]
    async fn insert(&self, row: &Secretive) -> Result<u64>;
}

/// Every field value of every `repo.call` span, as text.
#[derive(Default)]
struct SpanFields(Mutex<Vec<(String, String)>>);

struct Collect<'a>(&'a mut Vec<(String, String)>);

impl Visit for Collect<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl Subscriber for &'static SpanFields {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        if span.metadata().name() == "repo.call" {
            span.record(&mut Collect(&mut self.0.lock().expect("not poisoned")));
        }
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        values.record(&mut Collect(&mut self.0.lock().expect("not poisoned")));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn the_span_records_method_statement_and_rows_but_no_values() {
    let db = db().await;
    let client = db.client().await;
    let repo = PgSecretRepository::new(&client);
    repo.insert(&Secretive { id: 1, name: SECRET.into() }).await.unwrap();
    let fields: &'static SpanFields = Box::leak(Box::default());
    let found = {
        let _guard = tracing::subscriber::set_default(fields);
        repo.by_name(SECRET).await.unwrap()
    };
    assert_eq!(found.len(), 1);
    let fields = fields.0.lock().unwrap();
    let get = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    assert_eq!(get("method"), Some("SecretRepository::by_name"));
    assert_eq!(get("statement"), Some("SELECT id, name FROM authors WHERE name = $1"));
    assert_eq!(get("rows"), Some("1"));
    assert!(get("elapsed_us").is_some());
    assert!(
        fields.iter().all(|(_, v)| !v.contains(SECRET)),
        "a parameter value leaked: {fields:?}"
    );
}

/// Method, statement, rows, failed.
type Seen = (String, String, Option<u64>, bool);

#[derive(Default)]
struct Recorder(Mutex<Vec<Seen>>);

impl QueryObserver for Recorder {
    fn on_query(&self, e: &QueryEvent<'_>) {
        if e.method.starts_with("ObservedRepository::") {
            let text = format!("{e:?}");
            assert!(!text.contains(SECRET), "a parameter value reached the observer: {text}");
            self.0.lock().unwrap().push((e.method.into(), e.sql.into(), e.rows, e.error.is_some()));
        }
    }
}

#[tokio::test]
async fn the_observer_sees_every_call_with_its_outcome() {
    let recorder: &'static Recorder = Box::leak(Box::default());
    assert!(set_query_observer(recorder), "this test is the only one that installs an observer");
    let db = db().await;
    let client = db.client().await;
    let repo = PgObservedRepository::new(&client);
    repo.insert(&Secretive { id: 1, name: SECRET.into() }).await.unwrap();
    repo.insert(&Secretive { id: 1, name: SECRET.into() }).await.unwrap_err();
    repo.by_name(SECRET).await.unwrap();
    let seen = recorder.0.lock().unwrap().clone();
    let insert = "INSERT INTO authors (id, name) VALUES ($1, $2)".to_owned();
    assert_eq!(
        seen,
        vec![
            ("ObservedRepository::insert".to_owned(), insert.clone(), Some(1), false),
            ("ObservedRepository::insert".to_owned(), insert, None, true),
            (
                "ObservedRepository::by_name".to_owned(),
                "SELECT id, name FROM authors WHERE name = $1".to_owned(),
                Some(1),
                false
            ),
        ]
    );
}
