//! A bookshop in one file: the repository generator the way a new user meets it.
//!
//! Run it with `scripts/run.sh` (it starts PostgreSQL if needed), or against your own server:
//! `DATABASE_URL=postgres://user:pass@host/db cargo run -p bookshop`. The program creates the
//! `bookshop` database when it is missing and resets its one table each run.

#![allow(clippy::print_stdout)] // printing is what this program is for

use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};
use futures_util::TryStreamExt;
use repo_runtime::types::Decimal;
use repo_runtime::{Entity, Page, Result, Rows, SqlEnum, repository_for};
use tokio_postgres::NoTls;

/// How a book is bound; stored as its integer value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, SqlEnum)]
enum Binding {
    Hardcover = 1,
    Paperback = 2,
}

/// One row of `books`. Fields map to columns by name; `#[entity(key)]` marks the key. The
/// derive checks every field against `migrations/` (column exists, type fits, NULL only in
/// an `Option`) while compiling.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "books")]
struct Book {
    #[entity(key)]
    id: i64,
    title: String,
    author: String,
    price: Decimal,
    binding: Binding,
    /// NULL until the book is sold out.
    sold_out_at: Option<DateTime<Utc>>,
}

/// Every statement the shop runs. The macro checks each template against `Book` and the
/// method's arguments while compiling, and writes `PgBookRepository`.
#[repository_for(Book)]
trait BookRepository {
    #[sql("INSERT INTO <<table>> (<<columns>>) <<unnest>>")]
    async fn stock(&self, books: &[Book]) -> Result<u64>;

    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>")]
    async fn get(&self, id: i64) -> Result<Option<Book>>;

    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:auto>> <<orderby:title>>")]
    async fn by_author(&self, author: &str) -> Result<Vec<Book>>;

    #[sql(
        "SELECT <<columns>>, <<total>> FROM <<table>> WHERE sold_out_at IS NULL <<orderby:price --desc>> <<paginate>>"
    )]
    async fn in_stock(&self, limit: i64, offset: i64) -> Result<Page<Book>>;

    #[sql("UPDATE <<table>> SET sold_out_at = now() WHERE <<where:id>> AND sold_out_at IS NULL")]
    async fn sell_out(&self, id: i64) -> Result<u64>;

    #[sql("UPDATE <<table>> SET <<set>> WHERE <<where:id>>")]
    async fn update(&self, book: &Book) -> Result<u64>;

    #[sql("SELECT sum(price) FROM <<table>> WHERE sold_out_at IS NULL")]
    async fn stock_value(&self) -> Result<Option<Decimal>>;

    #[sql("SELECT <<columns>> FROM <<table>> <<orderby:id>>")]
    async fn all(&self) -> Result<Rows<'_, Book>>;
}

const SCHEMA: &str = include_str!("../migrations/0001_books.sql");

fn book(id: i64, title: &str, author: &str, cents: i64, binding: Binding) -> Book {
    Book {
        id,
        title: title.into(),
        author: author.into(),
        price: Decimal::new(cents, 2),
        binding,
        sold_out_at: None,
    }
}

/// Creates the example's database if the server does not have it yet.
async fn ensure_database(config: &tokio_postgres::Config) -> Result<(), tokio_postgres::Error> {
    let name = config.get_dbname().unwrap_or("bookshop").to_owned();
    let mut admin = config.clone();
    admin.dbname("postgres");
    let (client, conn) = admin.connect(NoTls).await?;
    tokio::spawn(conn);
    let exists = client.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name]).await?;
    if exists.is_none() {
        client.batch_execute(&format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""))).await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/bookshop".into());
    let config: tokio_postgres::Config = url.parse()?;
    ensure_database(&config).await?;
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig { recycling_method: RecyclingMethod::Fast },
    );
    let wait = Some(Duration::from_secs(5));
    let pool = Pool::builder(manager)
        .max_size(4)
        .runtime(Runtime::Tokio1)
        .timeouts(Timeouts { wait, create: wait, recycle: wait })
        .build()?;
    pool.get().await?.batch_execute(SCHEMA).await?;

    // A repository over a pool checks out a connection per call: clone it freely.
    let books = PgBookRepository::new(pool.clone());
    // Every statement prepared against the live schema, its types compared with the Rust ones.
    let report = books.verify().await?;
    println!("{report}");
    report.into_result()?;
    let stocked = books
        .stock(&[
            book(1, "The Dispossessed", "Ursula K. Le Guin", 1450, Binding::Paperback),
            book(2, "A Wizard of Earthsea", "Ursula K. Le Guin", 1199, Binding::Hardcover),
            book(3, "Piranesi", "Susanna Clarke", 1699, Binding::Hardcover),
            book(4, "Solaris", "Stanisław Lem", 999, Binding::Paperback),
        ])
        .await?;
    println!("stocked {stocked} books in one statement");

    for b in books.by_author("Ursula K. Le Guin").await? {
        println!("by Le Guin: {} ({:?}, {})", b.title, b.binding, b.price);
    }

    // Writes that belong together go through the same methods on a transaction.
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let in_tx = PgBookRepository::new(&tx);
    in_tx.sell_out(3).await?;
    let mut solaris = in_tx.get(4).await?.ok_or("book 4 is missing")?;
    solaris.price = Decimal::new(899, 2);
    in_tx.update(&solaris).await?;
    tx.commit().await?;

    let page = books.in_stock(2, 0).await?;
    println!("in stock: {} books, first page:", page.total);
    for b in &page.items {
        println!("  {} at {}", b.title, b.price);
    }
    println!("stock value: {}", books.stock_value().await?.unwrap_or_default());

    // Streams read rows as they arrive, in constant memory.
    let mut all = books.all().await?;
    while let Some(b) = all.try_next().await? {
        let state = if b.sold_out_at.is_some() { "sold out" } else { "in stock" };
        println!("#{} {}: {state}", b.id, b.title);
    }
    Ok(())
}
