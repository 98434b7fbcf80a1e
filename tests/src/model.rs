//! Entities and repositories covering every field type, placeholder and return kind.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use repo_runtime::types::{Decimal, Uuid};
use repo_runtime::{Entity, FromRow, Json, Page, Result, Rows, SqlEnum, repository_for};
use serde::{Deserialize, Serialize};

/// The schema every integration test starts from.
pub const SCHEMA: &str = r#"
CREATE TABLE authors (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    CONSTRAINT authors_name_key UNIQUE (name)
);
CREATE TABLE books (
    id BIGINT PRIMARY KEY,
    author_id BIGINT CONSTRAINT books_author_fk REFERENCES authors (id),
    title TEXT NOT NULL,
    price NUMERIC(10, 2) NOT NULL CONSTRAINT books_price_positive CHECK (price >= 0),
    genre INT NOT NULL,
    format TEXT NOT NULL,
    published DATE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE "Everything" (
    id BIGINT PRIMARY KEY,
    small SMALLINT NOT NULL, small_opt SMALLINT,
    int INT NOT NULL, int_opt INT,
    big BIGINT NOT NULL, big_opt BIGINT,
    real_ REAL NOT NULL, real_opt REAL,
    dbl DOUBLE PRECISION NOT NULL, dbl_opt DOUBLE PRECISION,
    flag BOOLEAN NOT NULL, flag_opt BOOLEAN,
    text TEXT NOT NULL, text_opt TEXT,
    bytes BYTEA NOT NULL, bytes_opt BYTEA,
    at TIMESTAMPTZ NOT NULL, at_opt TIMESTAMPTZ,
    day DATE NOT NULL, day_opt DATE,
    clock TIME NOT NULL, clock_opt TIME,
    uid UUID NOT NULL, uid_opt UUID,
    money NUMERIC(10, 2) NOT NULL, money_opt NUMERIC(10, 2),
    doc JSONB NOT NULL, doc_opt JSONB,
    typed JSONB NOT NULL, typed_opt JSONB,
    list BIGINT[] NOT NULL, list_opt BIGINT[],
    genre SMALLINT NOT NULL, genre_opt SMALLINT,
    format TEXT NOT NULL, format_opt TEXT
);
CREATE TABLE order_lines (
    order_id BIGINT NOT NULL,
    line_no INT NOT NULL,
    sku TEXT NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
"#;

/// A genre, stored as its integer value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, SqlEnum)]
pub enum Genre {
    /// Made up.
    Fiction = 1,
    /// Not made up.
    NonFiction = 2,
    /// Everything else.
    Other = 99,
}

/// A binding, stored as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, SqlEnum)]
#[sql_enum(text)]
pub enum Format {
    /// Hard cover.
    Hardcover,
    /// Soft cover.
    Paperback,
    /// Stored under a name of its own.
    #[sql_enum(rename = "e-book")]
    Ebook,
}

/// An author; the name is unique.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "authors")]
pub struct Author {
    /// Key.
    #[entity(key)]
    pub id: i64,
    /// Unique name.
    pub name: String,
}

/// A book.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "books")]
pub struct Book {
    /// Key.
    #[entity(key)]
    pub id: i64,
    /// Optional author.
    pub author_id: Option<i64>,
    /// Title.
    pub title: String,
    /// Price.
    pub price: Decimal,
    /// Genre, as INT.
    pub genre: Genre,
    /// Format, as TEXT.
    pub format: Format,
    /// Day of publication, if published.
    #[entity(rename = "published")]
    pub published_on: Option<NaiveDate>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Not stored.
    #[entity(skip)]
    pub note: String,
}

/// A typed JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dimensions {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// One column of every supported type, NOT NULL and nullable.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "Everything")]
#[allow(missing_docs)]
pub struct Everything {
    #[entity(key)]
    pub id: i64,
    pub small: i16,
    pub small_opt: Option<i16>,
    pub int: i32,
    pub int_opt: Option<i32>,
    pub big: i64,
    pub big_opt: Option<i64>,
    #[entity(rename = "real_")]
    pub real: f32,
    pub real_opt: Option<f32>,
    pub dbl: f64,
    pub dbl_opt: Option<f64>,
    pub flag: bool,
    pub flag_opt: Option<bool>,
    pub text: String,
    pub text_opt: Option<String>,
    pub bytes: Vec<u8>,
    pub bytes_opt: Option<Vec<u8>>,
    pub at: DateTime<Utc>,
    pub at_opt: Option<DateTime<Utc>>,
    pub day: NaiveDate,
    pub day_opt: Option<NaiveDate>,
    pub clock: NaiveTime,
    pub clock_opt: Option<NaiveTime>,
    pub uid: Uuid,
    pub uid_opt: Option<Uuid>,
    pub money: Decimal,
    pub money_opt: Option<Decimal>,
    pub doc: serde_json::Value,
    pub doc_opt: Option<serde_json::Value>,
    pub typed: Json<Dimensions>,
    pub typed_opt: Option<Json<Dimensions>>,
    pub list: Vec<i64>,
    pub list_opt: Option<Vec<i64>>,
    pub genre: Genre,
    pub genre_opt: Option<Genre>,
    pub format: Format,
    pub format_opt: Option<Format>,
}

/// An order line with a composite key.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "order_lines")]
pub struct OrderLine {
    /// Key, part one.
    #[entity(key)]
    pub order_id: i64,
    /// Key, part two.
    #[entity(key)]
    pub line_no: i32,
    /// Stock keeping unit.
    pub sku: String,
}

/// A projection for a custom SELECT.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct TitleAndAuthor {
    /// Book title.
    pub title: String,
    /// Author name, if any.
    pub author: Option<String>,
}

#[repository_for(Author)]
/// Authors.
pub trait AuthorRepository {
    /// Inserts one author.
    #[sql("INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>)")]
    async fn insert(&self, author: &Author) -> Result<u64>;

    /// Every author, with a `SELECT *` that `verify` re-checks when columns change.
    #[sql("SELECT * FROM <<table>> ORDER BY id")]
    async fn all(&self) -> Result<Vec<Author>>;

    /// Renames an author.
    #[sql("UPDATE <<table>> SET <<set>> WHERE <<where:id>>")]
    async fn update(&self, author: &Author) -> Result<u64>;
}

#[repository_for(Book)]
/// Books: one method per placeholder and return kind.
pub trait BookRepository {
    /// `Option<T>` by key.
    #[sql("SELECT <<columns:auto>> FROM <<table>> WHERE <<where:id>>")]
    async fn get(&self, id: i64) -> Result<Option<Book>>;

    /// `T`: exactly one row.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>")]
    async fn get_one(&self, id: i64) -> Result<Book>;

    /// `u64` rows affected.
    #[sql("INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>)")]
    async fn insert(&self, book: &Book) -> Result<u64>;

    /// `T` from `RETURNING`.
    #[sql("INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>) <<returning>>")]
    async fn insert_returning(&self, book: &Book) -> Result<Book>;

    /// One UNNEST statement for the whole slice.
    #[sql("INSERT INTO <<table>> (<<columns>>) <<unnest>>")]
    async fn insert_many(&self, books: &[Book]) -> Result<u64>;

    /// `<<set>>` with the key from the entity argument.
    #[sql("UPDATE <<table>> SET <<set --exclude created_at>> WHERE <<where:id>>")]
    async fn update(&self, book: &Book) -> Result<u64>;

    /// `()`.
    #[sql("DELETE FROM <<table>> WHERE <<where:id>>")]
    async fn delete(&self, id: i64) -> Result<()>;

    /// `Vec<T>`, `ANY(@ids)`, ordering.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE id = ANY(@ids) <<orderby:id>>")]
    async fn get_many(&self, ids: &[i64]) -> Result<Vec<Book>>;

    /// `<<where:auto>>` by column name.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:auto>> <<orderby:id>>")]
    async fn by_genre_and_format(&self, genre: Genre, format: Format) -> Result<Vec<Book>>;

    /// `<<orderby --desc>>` and `<<limit>>`.
    #[sql("SELECT <<columns>> FROM <<table>> <<orderby:price,id --desc>> <<limit>>")]
    async fn most_expensive(&self, limit: i64) -> Result<Vec<Book>>;

    /// Constant limit and offset.
    #[sql(
        "SELECT <<columns>> FROM <<table>> <<orderby:id>> <<limit --count 2>> <<offset --count 1>>"
    )]
    async fn second_and_third(&self) -> Result<Vec<Book>>;

    /// `Page<T>` with its total in one statement.
    #[sql(
        "SELECT <<columns>>, <<total>> FROM <<table>> WHERE genre = @genre <<orderby:id>> <<paginate>>"
    )]
    async fn page_by_genre(&self, genre: Genre, limit: i64, offset: i64) -> Result<Page<Book>>;

    /// Scalar and `<<count>>`.
    #[sql("SELECT <<count>> FROM <<table>>")]
    async fn count(&self) -> Result<i64>;

    /// `Option<scalar>`: NULL and no row are both `None`.
    #[sql("SELECT max(price) FROM <<table>> WHERE genre = @genre")]
    async fn max_price(&self, genre: Genre) -> Result<Option<Decimal>>;

    /// `Option<scalar>` over zero rows.
    #[sql("SELECT title FROM <<table>> WHERE <<where:id>>")]
    async fn title_of(&self, id: i64) -> Result<Option<String>>;

    /// Tuples.
    #[sql("SELECT id, title FROM <<table>> <<orderby:id>>")]
    async fn ids_and_titles(&self) -> Result<Vec<(i64, String)>>;

    /// A projection struct for a custom SELECT with a join and a prefix.
    #[sql(
        "SELECT b.title, a.name FROM <<table>> b LEFT JOIN authors a ON a.id = b.author_id ORDER BY b.id"
    )]
    async fn titles_with_authors(&self) -> Result<Vec<TitleAndAuthor>>;

    /// `<<columns --prefix>>`, a parameter used twice, `@arg.field`, `{{…}}`.
    #[sql(
        "SELECT {{columns --prefix b}} FROM {{table}} b WHERE b.title = @book.title OR (b.id = @book.id AND @book.title IS NOT NULL)"
    )]
    async fn same_title(&self, book: &Book) -> Result<Vec<Book>>;

    /// A stream with O(1) memory.
    #[sql("SELECT <<columns>> FROM <<table>> <<orderby:id>>")]
    async fn stream_all(&self) -> Result<Rows<'_, Book>>;

    /// Optional clauses: one statement per combination of `genre` given and `ids` non-empty.
    #[sql(
        "SELECT <<columns>> FROM <<table>> WHERE price >= @min_price <<if some(genre)>>AND genre = @genre<</if>> <<if any(ids)>>AND id = ANY(@ids)<</if>> <<orderby:id>>"
    )]
    async fn search(
        &self,
        min_price: Decimal,
        genre: Option<Genre>,
        ids: &[i64],
    ) -> Result<Vec<Book>>;

    /// Optional clauses in a page.
    #[sql(
        "SELECT <<columns>>, <<total>> FROM <<table>> <<if some(format)>>WHERE format = @format<</if>> <<orderby:id>> <<paginate>>"
    )]
    async fn page_by_format(
        &self,
        format: Option<Format>,
        limit: i64,
        offset: i64,
    ) -> Result<Page<Book>>;

    /// Exists.
    #[sql("SELECT EXISTS (SELECT 1 FROM <<table>> WHERE <<where:id>>)")]
    async fn exists(&self, id: i64) -> Result<bool>;
}

/// Authors through the generated CRUD alone (single key).
#[repository_for(Author, crud, name = Authors)]
pub trait AuthorCrud {}

/// Every type through the generated CRUD, arrays included.
#[repository_for(Everything, crud, name = EverythingCrud)]
pub trait EverythingTable {}

#[repository_for(Everything)]
/// Round trips of every type.
pub trait EverythingRepository {
    /// Insert all columns.
    #[sql("INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>)")]
    async fn insert(&self, row: &Everything) -> Result<u64>;

    /// Read back.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>")]
    async fn get(&self, id: i64) -> Result<Option<Everything>>;
}

#[repository_for(OrderLine, crud)]
/// Composite keys, with the generated CRUD beside hand-written statements.
pub trait OrderLineRepository {
    /// Insert many.
    #[sql("INSERT INTO <<table>> (<<columns>>) <<unnest>>")]
    async fn insert_lines(&self, lines: &[OrderLine]) -> Result<u64>;

    /// By composite key.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>")]
    async fn by_key(&self, order_id: i64, line_no: i32) -> Result<Option<OrderLine>>;

    /// Update by the key of the argument.
    #[sql("UPDATE <<table>> SET <<set>> WHERE <<where:id>>")]
    async fn update_line(&self, line: &OrderLine) -> Result<u64>;
}
