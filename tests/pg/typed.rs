//! The corpus of hand-written statements typed from `typed_migrations/` while compiling, held
//! against PostgreSQL. Each method's declared row type is checked against the inference at
//! compile time (a wrong `Option` or type fails the build); here `verify()` compares every
//! inferred type with the database's own description, and each statement runs on rows built to
//! produce NULL wherever the inference says NULL can occur: a column inferred NOT NULL must
//! never hold one, a column inferred nullable must hold one on these rows.

// Each statement states its row's types in place, as the corpus is about them.
#![allow(clippy::type_complexity)]

use repo_runtime::types::Decimal;
use repo_runtime::types::chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use repo_runtime::types::serde_json::Value;
use repo_runtime::{Entity, FromRow, Result, SqlEnum, repository_for};
use repo_tests::db::TestDb;
use tokio_postgres::types::{FromSql, Type};

#[derive(Debug, Clone, Copy, PartialEq, Eq, SqlEnum)]
#[sql_enum(text)]
pub(crate) enum Genre {
    Novel,
    Poetry,
    Essay,
}

#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "books", schema = "typed_migrations")]
pub(crate) struct Book {
    #[entity(key)]
    pub id: i64,
    pub author_id: i64,
    pub title: String,
    pub isbn: String,
    pub genre: Genre,
    pub pages: Option<i32>,
    pub price: Decimal,
    pub stars: Option<f32>,
    pub tags: Vec<String>,
    pub meta: Value,
    pub published_at: Option<DateTime<Utc>>,
}

type Ts = DateTime<Utc>;

/// A projection: its fields are checked against the columns by position.
#[derive(Debug, PartialEq, FromRow)]
pub(crate) struct Lent {
    pub title: String,
    pub member: Option<String>,
    pub returned_at: Option<Ts>,
}

#[rustfmt::skip]
#[repository_for(Book, name = PgCorpus)]
pub(crate) trait Corpus {
    #[sql("SELECT id, title, pages FROM books")]
    async fn plain(&self) -> Result<Vec<(i64, String, Option<i32>)>>;
    #[sql("SELECT b.title, b.isbn, b.stars FROM public.books b")]
    async fn schema_alias_domain_renamed(&self) -> Result<Vec<(String, String, Option<f32>)>>;
    #[sql("SELECT genre, genre::text, 'novel'::genre FROM books")]
    async fn enum_and_casts(&self) -> Result<Vec<(Genre, String, Genre)>>;
    #[sql("SELECT a.name, b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id")]
    async fn left_join(&self) -> Result<Vec<(String, Option<String>)>>;
    #[sql("SELECT a.name, b.title FROM books b RIGHT JOIN authors a ON a.id = b.author_id")]
    async fn right_join(&self) -> Result<Vec<(String, Option<String>)>>;
    #[sql("SELECT m.email, l.id FROM members m FULL JOIN loans l ON l.member_id = m.id")]
    async fn full_join(&self) -> Result<Vec<(Option<String>, Option<i64>)>>;
    /// sqlx #2127: a WHERE on the other table does not make the outer side NOT NULL.
    #[sql("SELECT a.name, b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id WHERE a.id = 3")]
    async fn left_join_where_other_side(&self) -> Result<Vec<(String, Option<String>)>>;
    /// A condition on the outer side means its row matched; its own nullable columns stay so.
    #[sql("SELECT a.name, b.title, b.pages FROM authors a LEFT JOIN books b ON b.author_id = a.id WHERE b.id IS NOT NULL")]
    async fn left_join_matched(&self) -> Result<Vec<(String, String, Option<i32>)>>;
    /// safeql #499: the join inside a CTE.
    #[sql("WITH x AS (SELECT a.name, b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id) SELECT name, title FROM x")]
    async fn left_join_in_cte(&self) -> Result<Vec<(String, Option<String>)>>;
    /// safeql #418: LEFT JOIN LATERAL.
    #[sql("SELECT a.name, last.lent_at FROM authors a LEFT JOIN LATERAL (SELECT l.lent_at FROM loans l JOIN books b ON b.id = l.book_id WHERE b.author_id = a.id ORDER BY l.lent_at DESC LIMIT 1) last ON true")]
    async fn left_join_lateral(&self) -> Result<Vec<(String, Option<Ts>)>>;
    #[sql("SELECT m.email, l.id, b.title FROM members m LEFT JOIN (loans l JOIN books b ON b.id = l.book_id) ON l.member_id = m.id")]
    async fn left_join_nested(&self) -> Result<Vec<(String, Option<i64>, Option<String>)>>;
    #[sql("SELECT s.title FROM (SELECT b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id) s")]
    async fn left_join_in_subquery(&self) -> Result<Vec<Option<String>>>;
    /// pgtyped #201, squirrel #41: a plain outer join.
    #[sql("SELECT b.title, l.returned_at FROM books b LEFT OUTER JOIN loans l ON l.book_id = b.id")]
    async fn left_outer_join(&self) -> Result<Vec<(String, Option<Ts>)>>;
    #[sql("SELECT m.email, l.id, b.title FROM members m LEFT JOIN loans l ON l.member_id = m.id LEFT JOIN books b ON b.id = l.book_id")]
    async fn left_joins_chained(&self) -> Result<Vec<(String, Option<i64>, Option<String>)>>;
    /// An inner join on the outer side's column rejects its NULLs.
    #[sql("SELECT m.email, l.id, b.title FROM members m LEFT JOIN loans l ON l.member_id = m.id JOIN books b ON b.id = l.book_id")]
    async fn inner_after_left(&self) -> Result<Vec<(String, i64, String)>>;
    #[sql("SELECT a.*, b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id")]
    async fn qualified_star_left(&self) -> Result<Vec<(i64, String, Option<NaiveDate>, Option<String>, Option<String>)>>;
    #[sql("SELECT a.name, coalesce(b.title, '(none)') FROM authors a LEFT JOIN books b ON b.author_id = a.id")]
    async fn coalesce_outer(&self) -> Result<Vec<(String, String)>>;
    #[sql("SELECT a.name, count(b.id), max(l.lent_at) FROM authors a LEFT JOIN books b ON b.author_id = a.id LEFT JOIN loans l ON l.book_id = b.id GROUP BY a.name")]
    async fn left_joins_grouped(&self) -> Result<Vec<(String, i64, Option<Ts>)>>;
    #[sql("SELECT a.name, m.email FROM authors a CROSS JOIN members m")]
    async fn cross_join(&self) -> Result<Vec<(String, String)>>;
    #[sql("SELECT count(*), sum(pages), avg(pages), min(title), max(price) FROM books WHERE id < 0")]
    async fn aggregates_over_nothing(&self) -> Result<Vec<(i64, Option<i64>, Option<Decimal>, Option<String>, Option<Decimal>)>>;
    #[sql("SELECT author_id, count(*), sum(price), max(pages) FROM books GROUP BY author_id")]
    async fn aggregates_grouped(&self) -> Result<Vec<(i64, i64, Decimal, Option<i32>)>>;
    #[sql("SELECT sum(fine_cents), avg(fine_cents) FROM loans WHERE id < 0")]
    async fn sum_avg_of_bigint(&self) -> Result<Vec<(Option<Decimal>, Option<Decimal>)>>;
    #[sql("SELECT avg(stars), sum(stars) FROM books WHERE id < 0")]
    async fn sum_avg_of_real(&self) -> Result<Vec<(Option<f64>, Option<f32>)>>;
    #[sql("SELECT count(pages), count(DISTINCT author_id) FROM books")]
    async fn counts(&self) -> Result<Vec<(i64, i64)>>;
    #[sql("SELECT count(*) FILTER (WHERE pages > 1000), sum(pages) FILTER (WHERE pages > 1000) FROM books")]
    async fn filtered_aggregates(&self) -> Result<Vec<(i64, Option<i64>)>>;
    #[sql("SELECT bool_or(vip), every(vip) FROM members WHERE id < 0")]
    async fn bool_aggregates(&self) -> Result<Vec<(Option<bool>, Option<bool>)>>;
    #[sql("SELECT author_id, array_agg(title), string_agg(title, ',') FROM books GROUP BY author_id")]
    async fn array_and_string_agg(&self) -> Result<Vec<(i64, Vec<String>, String)>>;
    #[sql("SELECT author_id, count(*) FROM books GROUP BY author_id HAVING count(*) > 1")]
    async fn having(&self) -> Result<Vec<(i64, i64)>>;
    #[sql("SELECT title, coalesce(pages, 0), coalesce(stars, 0) FROM books")]
    async fn coalesce(&self) -> Result<Vec<(String, i32, f32)>>;
    #[sql("SELECT coalesce(sum(pages), 0), coalesce(max(price), 0) FROM books WHERE id < 0")]
    async fn coalesce_aggregates(&self) -> Result<Vec<(i64, Decimal)>>;
    #[sql("SELECT nullif(nick, ''), trim(email) FROM members")]
    async fn nullif_trim(&self) -> Result<Vec<(Option<String>, String)>>;
    #[sql("SELECT greatest(pages, 10), least(stars, 5), greatest(pages, NULL::int) FROM books")]
    async fn greatest_least(&self) -> Result<Vec<(i32, f32, Option<i32>)>>;
    #[sql("SELECT CASE WHEN pages > 60 THEN 'long' ELSE 'short' END, CASE WHEN pages > 60 THEN title END FROM books")]
    async fn case(&self) -> Result<Vec<(String, Option<String>)>>;
    #[sql("SELECT 1, 3000000000, 1.5, 'x', true, DATE '2020-01-01', 2::int8, NULL")]
    async fn literals(&self) -> Result<Vec<(i32, i64, Decimal, String, bool, NaiveDate, i64, Option<String>)>>;
    #[sql("SELECT pages + 1, pages * id, price * 2, price * stars, title || '!', -pages, price / 3, pages / 2 FROM books")]
    async fn arithmetic(&self) -> Result<Vec<(Option<i32>, Option<i64>, Decimal, Option<f64>, String, Option<i32>, Decimal, Option<i32>)>>;
    #[sql("SELECT pages > 3, title LIKE 'A%', pages IN (1, 2), pages BETWEEN 1 AND 500, pages IS NULL FROM books")]
    async fn predicates(&self) -> Result<Vec<(Option<bool>, bool, Option<bool>, Option<bool>, bool)>>;
    #[sql("SELECT NOT vip, nick IS DISTINCT FROM 'al', vip AND email <> '' FROM members")]
    async fn booleans(&self) -> Result<Vec<(bool, bool, bool)>>;
    #[sql("SELECT b.title, EXISTS (SELECT 1 FROM loans l WHERE l.book_id = b.id), (SELECT max(l.lent_at) FROM loans l WHERE l.book_id = b.id), (SELECT count(*) FROM loans l WHERE l.book_id = b.id), (SELECT l.id FROM loans l WHERE l.book_id = b.id ORDER BY l.id LIMIT 1) FROM books b")]
    async fn subqueries(&self) -> Result<Vec<(String, bool, Option<Ts>, i64, Option<i64>)>>;
    #[sql("SELECT a.name FROM authors a WHERE (SELECT count(*) FROM books b WHERE b.author_id = a.id) = 0")]
    async fn correlated_in_where(&self) -> Result<Vec<String>>;
    #[sql("SELECT m.email FROM members m WHERE NOT EXISTS (SELECT 1 FROM loans l WHERE l.member_id = m.id)")]
    async fn anti_join(&self) -> Result<Vec<String>>;
    #[sql("SELECT title FROM books WHERE id IN (SELECT book_id FROM loans)")]
    async fn in_subquery(&self) -> Result<Vec<String>>;
    #[sql("SELECT t.n FROM (SELECT count(*) AS n FROM loans) t")]
    async fn aggregate_in_from(&self) -> Result<Vec<i64>>;
    #[sql("SELECT DISTINCT author_id FROM books ORDER BY author_id LIMIT 10")]
    async fn distinct(&self) -> Result<Vec<i64>>;
    #[sql("SELECT id FROM authors UNION ALL SELECT NULL::int8")]
    async fn union_null(&self) -> Result<Vec<Option<i64>>>;
    #[sql("SELECT title FROM books UNION SELECT name FROM authors")]
    async fn union_text(&self) -> Result<Vec<String>>;
    #[sql("SELECT author_id FROM books EXCEPT SELECT id FROM authors WHERE id > 1")]
    async fn except(&self) -> Result<Vec<i64>>;
    #[sql("SELECT pages FROM books INTERSECT SELECT 100")]
    async fn intersect(&self) -> Result<Vec<i32>>;
    #[sql("SELECT n, s FROM (VALUES (1, 'a'), (2, NULL)) v(n, s)")]
    async fn values(&self) -> Result<Vec<(i32, Option<String>)>>;
    #[sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT i FROM n")]
    async fn recursive(&self) -> Result<Vec<i32>>;
    #[sql("WITH RECURSIVE chain(id, prev) AS (SELECT id, NULL::int8 FROM books WHERE id = 1 UNION ALL SELECT b.id, c.id FROM books b JOIN chain c ON b.id = c.id + 1) SELECT id, prev FROM chain")]
    async fn recursive_nullable(&self) -> Result<Vec<(i64, Option<i64>)>>;
    #[sql("WITH a AS (SELECT id, name FROM authors), b AS (SELECT a.name, count(*) AS n FROM a JOIN books ON books.author_id = a.id GROUP BY a.name) SELECT name, n FROM b")]
    async fn ctes_chained(&self) -> Result<Vec<(String, i64)>>;
    #[sql("INSERT INTO members (email) VALUES ('z@x') RETURNING id, nick, joined, vip")]
    async fn insert_returning(&self) -> Result<Vec<(i32, Option<String>, NaiveDate, bool)>>;
    #[sql("INSERT INTO members (id, email) VALUES (2, 'b@x') ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email RETURNING id, nick")]
    async fn upsert_returning(&self) -> Result<Vec<(i32, Option<String>)>>;
    /// On a unique index the migrations create (a target no key covers fails the build).
    #[sql("INSERT INTO members (email) VALUES ('a@x') ON CONFLICT (email) DO UPDATE SET joined = now() RETURNING id, email")]
    async fn upsert_on_unique_index(&self) -> Result<Vec<(i32, String)>>;
    /// RETURNING sees what SET wrote.
    #[sql("UPDATE books SET pages = 1 WHERE id = 3 RETURNING title, pages")]
    async fn update_returning(&self) -> Result<Vec<(String, i32)>>;
    #[sql("UPDATE loans SET fine_cents = 0 FROM books b WHERE b.id = loans.book_id AND b.pages IS NULL RETURNING loans.id, b.title, loans.fine_cents")]
    async fn update_from_returning(&self) -> Result<Vec<(i64, String, i64)>>;
    #[sql("DELETE FROM loans WHERE id = 4 RETURNING id, returned_at")]
    async fn delete_returning(&self) -> Result<Vec<(i64, Option<Ts>)>>;
    #[sql("SELECT id, row_number() OVER (ORDER BY id), rank() OVER (PARTITION BY author_id ORDER BY price), lag(title) OVER (ORDER BY id), first_value(title) OVER (ORDER BY id) FROM books")]
    async fn windows(&self) -> Result<Vec<(i64, i64, i64, Option<String>, String)>>;
    #[sql("SELECT lead(pages, 1, 0) OVER (ORDER BY id) FROM books")]
    async fn lead_with_default(&self) -> Result<Vec<Option<i32>>>;
    #[sql("SELECT meta->>'isbn', meta->'n', meta @> '{\"n\": 1}', jsonb_build_object('t', title), to_jsonb(title) FROM books")]
    async fn json(&self) -> Result<Vec<(Option<String>, Option<Value>, bool, Value, Value)>>;
    #[sql("SELECT tags, array_length(tags, 1), cardinality(tags), ARRAY[id, author_id] FROM books")]
    async fn arrays(&self) -> Result<Vec<(Vec<String>, Option<i32>, i32, Vec<i64>)>>;
    #[sql("SELECT lower(title), length(title), concat(title, pages), substr(title, 1, 1), replace(title, 'A', 'B'), substring(title from 1 for 2) FROM books")]
    async fn strings(&self) -> Result<Vec<(String, i32, String, String, String, String)>>;
    #[sql("SELECT upper(nick), length(nick) FROM members")]
    async fn strings_of_nullable(&self) -> Result<Vec<(Option<String>, Option<i32>)>>;
    #[sql("SELECT now(), current_date, date_trunc('day', lent_at), extract(year from lent_at), date_part('year', lent_at) FROM loans")]
    async fn dates(&self) -> Result<Vec<(Ts, NaiveDate, Ts, Decimal, f64)>>;
    #[sql("SELECT <<columns --prefix b>> FROM books b JOIN authors a ON a.id = b.author_id")]
    async fn entity_joined(&self) -> Result<Vec<Book>>;
    #[sql("SELECT DISTINCT ON (author_id) author_id, title FROM books ORDER BY author_id, id")]
    async fn distinct_on(&self) -> Result<Vec<(i64, String)>>;
    #[sql("SELECT m.email, count(l.id) FROM members m LEFT JOIN loans l ON l.member_id = m.id GROUP BY m.email")]
    async fn count_of_outer_side(&self) -> Result<Vec<(String, i64)>>;
    #[sql("SELECT coalesce(m.email, '?'), l.id FROM members m FULL JOIN loans l ON l.member_id = m.id")]
    async fn full_join_coalesce(&self) -> Result<Vec<(String, Option<i64>)>>;
    #[sql("WITH per AS (SELECT b.author_id, count(l.id) AS n FROM books b LEFT JOIN loans l ON l.book_id = b.id GROUP BY b.author_id) SELECT a.name, per.n FROM authors a LEFT JOIN per ON per.author_id = a.id")]
    async fn cte_aggregate_left_joined(&self) -> Result<Vec<(String, Option<i64>)>>;
    #[sql("SELECT id, sum(price) OVER (PARTITION BY author_id), max(pages) OVER (PARTITION BY id), count(*) OVER () FROM books")]
    async fn window_aggregates(&self) -> Result<Vec<(i64, Decimal, Option<i32>, i64)>>;
    #[sql("SELECT t.returned_at FROM (SELECT returned_at FROM loans WHERE returned_at IS NOT NULL) t")]
    async fn narrowed_in_subquery(&self) -> Result<Vec<Ts>>;
    #[sql("SELECT CASE genre WHEN 'novel' THEN 1 WHEN 'poetry' THEN 2 ELSE 3 END FROM books")]
    async fn simple_case(&self) -> Result<Vec<i32>>;
    #[sql("SELECT greatest(lent_at, returned_at), least(returned_at, now()) FROM loans")]
    async fn greatest_of_timestamps(&self) -> Result<Vec<(Ts, Ts)>>;
    #[sql("SELECT b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id UNION ALL SELECT title FROM books")]
    async fn union_with_outer_side(&self) -> Result<Vec<Option<String>>>;
    #[sql("SELECT count(*) FROM loans")]
    async fn scalar_one(&self) -> Result<i64>;
    #[sql("SELECT max(lent_at) FROM loans WHERE id < 0")]
    async fn scalar_opt(&self) -> Result<Option<Ts>>;
    #[sql("SELECT left(title, 2), initcap(title), md5(title), position('a' in title), reverse(title) FROM books")]
    async fn more_strings(&self) -> Result<Vec<(String, String, String, i32, String)>>;
    #[sql("SELECT vip OR nick IS NULL, id::text, nick::text FROM members")]
    async fn casts_to_text(&self) -> Result<Vec<(bool, String, Option<String>)>>;
    #[sql("SELECT price::int, pages::int8, stars::float8 FROM books")]
    async fn numeric_casts(&self) -> Result<Vec<(i32, Option<i64>, Option<f64>)>>;
    #[sql("SELECT meta #>> '{isbn}', jsonb_array_length(meta->'list') FROM books")]
    async fn json_paths(&self) -> Result<Vec<(Option<String>, Option<i32>)>>;
    #[sql("WITH x AS (SELECT * FROM (SELECT id, nick FROM members) s) SELECT id, nick FROM x")]
    async fn subquery_in_cte(&self) -> Result<Vec<(i32, Option<String>)>>;
    #[sql("SELECT a.title, b.title FROM books a LEFT JOIN books b ON b.id = a.id + 1")]
    async fn self_join(&self) -> Result<Vec<(String, Option<String>)>>;
    #[sql("SELECT author_id, array_agg(title ORDER BY id), jsonb_agg(title) FROM books GROUP BY author_id")]
    async fn ordered_aggregates(&self) -> Result<Vec<(i64, Vec<String>, Value)>>;
    #[sql("SELECT string_agg(title, ','), array_agg(id) FROM books WHERE id < 0")]
    async fn string_agg_of_nothing(&self) -> Result<Vec<(Option<String>, Option<Vec<i64>>)>>;
    #[sql("SELECT EXISTS (SELECT 1 FROM loans), (SELECT count(*) FROM members)")]
    async fn no_from(&self) -> Result<Vec<(bool, i64)>>;
    #[sql("INSERT INTO members (email) SELECT email || '2' FROM members WHERE id = 1 RETURNING id, email, nick")]
    async fn insert_select_returning(&self) -> Result<Vec<(i32, String, Option<String>)>>;
    #[sql("DELETE FROM loans l USING books b WHERE b.id = l.book_id AND b.pages IS NULL RETURNING l.id, b.title, l.fine_cents")]
    async fn delete_using_returning(&self) -> Result<Vec<(i64, String, Option<i64>)>>;
    #[sql("UPDATE members SET nick = (SELECT title FROM books WHERE id = 99) WHERE id = 2 RETURNING nick, email")]
    async fn update_from_scalar_subquery(&self) -> Result<Vec<(Option<String>, String)>>;
    #[sql("SELECT l.id, b.title, m.nick FROM loans l JOIN books b ON b.id = l.book_id JOIN members m ON m.id = l.member_id")]
    async fn inner_joins_three(&self) -> Result<Vec<(i64, String, Option<String>)>>;
    #[sql("SELECT a.name FROM authors a WHERE a.id IN (SELECT author_id FROM books WHERE pages IS NULL) AND EXISTS (SELECT 1 FROM books b WHERE b.author_id = a.id)")]
    async fn semi_joins(&self) -> Result<Vec<String>>;

    /// A view, typed from its query in the migrations.
    #[sql("SELECT id, title, email, returned_at, shout FROM loan_details")]
    async fn view(&self) -> Result<Vec<(i64, String, Option<String>, Option<Ts>, Option<String>)>>;
    /// A `FromRow` struct, compared field by field.
    #[sql("SELECT title, email, returned_at FROM loan_details")]
    async fn projection(&self) -> Result<Vec<Lent>>;

    // Parameters, typed from where they stand (held against the database by `verify`).
    #[sql("SELECT title FROM books WHERE author_id = @author AND pages > @pages AND title LIKE @pattern")]
    async fn param_compared(&self, author: i64, pages: i32, pattern: &str) -> Result<Vec<String>>;
    #[sql("SELECT title FROM books WHERE id = ANY(@ids) AND pages BETWEEN @low AND @high ORDER BY id LIMIT @n OFFSET @skip")]
    async fn param_any_between_limit(&self, ids: &[i64], low: i32, high: i32, n: i64, skip: i64) -> Result<Vec<String>>;
    #[sql("SELECT title FROM books WHERE genre = @genre AND stars IN (@a, @b) AND published_at < @before")]
    async fn param_enum_in_list(&self, genre: Genre, a: f32, b: f32, before: Ts) -> Result<Vec<String>>;
    #[sql("INSERT INTO loans (book_id, member_id, returned_at, fine_cents) VALUES (@book, @member, @returned, @fine) RETURNING id")]
    async fn param_insert(&self, book: i64, member: i32, returned: Option<Ts>, fine: Option<i64>) -> Result<i64>;
    #[sql("UPDATE books SET pages = coalesce(@pages, pages), price = @price, tags = @tags WHERE id = @id RETURNING pages")]
    async fn param_update(&self, id: i64, pages: Option<i32>, price: Decimal, tags: &[String]) -> Result<Option<i32>>;
    #[sql("INSERT INTO members (id, email, nick) VALUES (@id, @email, @nick) ON CONFLICT (id) DO UPDATE SET nick = @nick2 WHERE members.joined < @joined RETURNING id")]
    async fn param_upsert(&self, id: i32, email: &str, nick: Option<&str>, nick2: &str, joined: NaiveDate) -> Result<Option<i32>>;
    #[sql("SELECT @x::int2, @y::text[], @z::jsonb")]
    async fn param_cast(&self, x: i16, y: &[String], z: &Value) -> Result<(i16, Vec<String>, Value)>;
    #[sql("DELETE FROM loans WHERE member_id = @member AND fine_cents >= @fine")]
    async fn param_delete(&self, member: i32, fine: i64) -> Result<u64>;

    // What later migrations did (0003): identity and generated columns, a renamed table,
    // NOT NULL set and dropped, a type changed, a value added to an ENUM.
    #[sql("SELECT id, label, width_cm, depth_cm, area_cm2, note, capacity FROM shelves")]
    async fn altered_table(&self) -> Result<Vec<(i32, String, i32, Option<i16>, Option<i32>, Option<String>, i64)>>;
    #[sql("INSERT INTO shelves (label, width_cm, capacity) VALUES ('new', 10, 5) RETURNING id, area_cm2")]
    async fn generated_column_returned(&self) -> Result<Vec<(i32, Option<i32>)>>;
    #[sql("UPDATE shelves SET depth_cm = NULL WHERE id = 1 RETURNING label, area_cm2")]
    async fn generated_column_recomputed(&self) -> Result<Vec<(String, Option<i32>)>>;
    #[sql("SELECT id FROM shelves WHERE label = 'A' FOR UPDATE")]
    async fn locking_clause(&self) -> Result<Vec<i32>>;
    #[sql("SELECT title, 'memoir'::genre::text FROM books WHERE genre IN ('novel', 'memoir')")]
    async fn enum_value_added(&self) -> Result<Vec<(String, String)>>;

    // Set-returning functions.
    #[sql("SELECT n FROM generate_series(1, 3) n")]
    async fn series(&self) -> Result<Vec<i32>>;
    #[sql("SELECT g, i FROM generate_series(1, 3000000000, 1000000000) WITH ORDINALITY AS t(g, i)")]
    async fn series_bigint_ordinality(&self) -> Result<Vec<(i64, i64)>>;
    #[sql("SELECT d FROM generate_series(now(), now() + interval '2 days', interval '1 day') d")]
    async fn series_of_timestamps(&self) -> Result<Vec<Ts>>;
    #[sql("SELECT a.name, s.n FROM authors a LEFT JOIN LATERAL generate_series(1, a.id::int - 1) s(n) ON true")]
    async fn series_left_lateral(&self) -> Result<Vec<(String, Option<i32>)>>;
    #[sql("SELECT b.title, t FROM books b LEFT JOIN LATERAL unnest(b.tags) t ON true")]
    async fn unnest_left_lateral(&self) -> Result<Vec<(String, Option<String>)>>;
    #[sql("SELECT x FROM unnest('{a,NULL}'::text[]) x")]
    async fn unnest_elements(&self) -> Result<Vec<Option<String>>>;
    #[sql("SELECT a, b FROM unnest('{1,NULL}'::int4[], '{x}'::text[]) AS u(a, b)")]
    async fn unnest_zipped(&self) -> Result<Vec<(Option<i32>, Option<String>)>>;
    #[sql("SELECT unnest('{1,NULL}'::int8[])")]
    async fn unnest_in_select_list(&self) -> Result<Vec<Option<i64>>>;
    #[sql("SELECT value FROM jsonb_array_elements('[1, null]'::jsonb)")]
    async fn json_elements(&self) -> Result<Vec<Value>>;
    #[sql("SELECT value FROM jsonb_array_elements_text('[\"a\", null]')")]
    async fn json_elements_text(&self) -> Result<Vec<Option<String>>>;
    #[sql("SELECT b.title, kv.key, kv.value FROM books b, jsonb_each(b.meta) kv")]
    async fn json_each(&self) -> Result<Vec<(String, String, Value)>>;
    #[sql("SELECT key, value FROM jsonb_each_text('{\"a\": \"x\", \"b\": null}')")]
    async fn json_each_text(&self) -> Result<Vec<(String, Option<String>)>>;
    #[sql("SELECT k FROM books b, jsonb_object_keys(b.meta) k")]
    async fn json_keys(&self) -> Result<Vec<String>>;

    // Windows and functions.
    #[sql("SELECT id, ntile(2) OVER (ORDER BY id), dense_rank() OVER (ORDER BY author_id), percent_rank() OVER (ORDER BY id), cume_dist() OVER (ORDER BY id) FROM books")]
    async fn ranking(&self) -> Result<Vec<(i64, i32, i64, f64, f64)>>;
    #[sql("SELECT last_value(title) OVER (ORDER BY id), nth_value(title, 2) OVER (ORDER BY id) FROM books")]
    async fn last_and_nth(&self) -> Result<Vec<(String, Option<String>)>>;
    #[sql("SELECT id, lag(id) OVER w, lead(id) OVER w FROM books WINDOW w AS (ORDER BY id)")]
    async fn named_window(&self) -> Result<Vec<(i64, Option<i64>, Option<i64>)>>;
    #[sql("SELECT count(*) OVER (PARTITION BY author_id ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM books")]
    async fn window_frame(&self) -> Result<Vec<i64>>;
    #[sql("SELECT abs(pages), round(price), round(price, 1), trunc(price), abs(stars) FROM books")]
    async fn numeric_functions(&self) -> Result<Vec<(Option<i32>, Decimal, Decimal, Decimal, Option<f32>)>>;
    #[sql("SELECT lpad(title, 8, '*'), rpad(title, 8), repeat(title, 2), right(title, 2), btrim(title), ltrim(title), rtrim(title) FROM books")]
    async fn padding_and_trimming(&self) -> Result<Vec<(String, String, String, String, String, String, String)>>;
    #[sql("SELECT char_length(title), octet_length(title), strpos(title, 'a') FROM books")]
    async fn lengths(&self) -> Result<Vec<(i32, i32, i32)>>;
    #[sql("SELECT nullif(pages, 50), nullif(title, 'Beta') FROM books")]
    async fn nullif_of_columns(&self) -> Result<Vec<(Option<i32>, Option<String>)>>;
    #[sql("SELECT CASE WHEN vip THEN 'vip' WHEN nick IS NULL THEN NULL ELSE nick END FROM members")]
    async fn case_with_null_branch(&self) -> Result<Vec<Option<String>>>;
    #[sql("SELECT coalesce(nick, email, 'x'), coalesce(nick, NULL) FROM members")]
    async fn coalesce_chains(&self) -> Result<Vec<(String, Option<String>)>>;
    #[sql("SELECT greatest(joined, DATE '2000-01-01'), least(id, 2) FROM members")]
    async fn greatest_of_dates(&self) -> Result<Vec<(NaiveDate, i32)>>;
    #[sql("SELECT id::text || ':' || title, pages % 7, id % 2, -price, +pages FROM books")]
    async fn operators(&self) -> Result<Vec<(String, Option<i32>, i64, Decimal, Option<i32>)>>;
    #[sql("SELECT pages::numeric / 3, price::float8 * 2, lent_at::date, returned_at::date FROM books b JOIN loans l ON l.book_id = b.id")]
    async fn casts_in_arithmetic(&self) -> Result<Vec<(Option<Decimal>, f64, NaiveDate, Option<NaiveDate>)>>;
    #[sql("SELECT meta ? 'isbn', meta->'n' IS NULL, ARRAY[title, isbn], jsonb_build_object('id', id) FROM books")]
    async fn json_tests_and_arrays(&self) -> Result<Vec<(bool, bool, Vec<String>, Value)>>;
    #[sql("SELECT json_agg(title), max(joined) FROM books, members WHERE books.id < 0")]
    async fn json_agg_of_nothing(&self) -> Result<Vec<(Option<Value>, Option<NaiveDate>)>>;

    // Names, joins and subqueries.
    #[sql("SELECT (SELECT nick FROM members m WHERE m.id = l.member_id) FROM loans l")]
    async fn scalar_subquery_nullable(&self) -> Result<Vec<Option<String>>>;
    #[sql("SELECT m.email, (SELECT count(*) FROM loans l WHERE l.member_id = m.id) AS n FROM members m ORDER BY n DESC")]
    async fn order_by_output_name(&self) -> Result<Vec<(String, i64)>>;
    #[sql("SELECT author_id, count(*) AS n FROM books GROUP BY 1 ORDER BY 2 DESC")]
    async fn group_by_position(&self) -> Result<Vec<(i64, i64)>>;
    #[sql("SELECT book_id, l.id, b.title FROM loans l JOIN (SELECT id AS book_id, title FROM books) b USING (book_id)")]
    async fn join_using(&self) -> Result<Vec<(i64, i64, String)>>;
    #[sql("SELECT l.member_id, m.id FROM loans l LEFT JOIN members m ON m.id = l.member_id")]
    async fn left_join_key(&self) -> Result<Vec<(i32, Option<i32>)>>;
    #[sql("SELECT l.id, m.email FROM loans l RIGHT JOIN members m ON m.id = l.member_id WHERE m.vip = false")]
    async fn right_join_where(&self) -> Result<Vec<(Option<i64>, String)>>;
    #[sql("SELECT m.email, l.id FROM members m LEFT JOIN loans l ON l.member_id = m.id WHERE l.returned_at IS NULL")]
    async fn left_join_is_null(&self) -> Result<Vec<(String, Option<i64>)>>;
    #[sql("WITH f AS (SELECT m.id AS mid, l.id AS lid FROM members m FULL JOIN loans l ON l.member_id = m.id) SELECT mid, lid FROM f")]
    async fn full_join_in_cte(&self) -> Result<Vec<(Option<i32>, Option<i64>)>>;
    #[sql("SELECT s.name, s.title FROM (SELECT a.name, b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id WHERE a.country IS NOT NULL) s")]
    async fn left_join_where_in_subquery(&self) -> Result<Vec<(String, Option<String>)>>;
    #[sql("SELECT b.id, l.lent_at FROM books b JOIN LATERAL (SELECT lent_at FROM loans WHERE book_id = b.id ORDER BY lent_at LIMIT 1) l ON true")]
    async fn inner_lateral(&self) -> Result<Vec<(i64, Ts)>>;
    #[sql("SELECT b.id, c.n FROM books b CROSS JOIN LATERAL (SELECT count(*) AS n FROM loans WHERE book_id = b.id) c")]
    async fn cross_lateral_count(&self) -> Result<Vec<(i64, i64)>>;
    #[sql("SELECT x.id FROM (SELECT id FROM books ORDER BY id LIMIT 2) x")]
    async fn limited_subquery(&self) -> Result<Vec<i64>>;
    #[sql("SELECT n, s FROM (VALUES (1, NULL::text), (2, 'b')) v(n, s)")]
    async fn values_with_cast_null(&self) -> Result<Vec<(i32, Option<String>)>>;
    #[sql("SELECT x FROM (SELECT 1 AS x UNION SELECT 2) u ORDER BY x")]
    async fn union_in_subquery(&self) -> Result<Vec<i32>>;
    #[sql("(SELECT title FROM books ORDER BY id LIMIT 1) UNION ALL (SELECT name FROM authors ORDER BY id LIMIT 1)")]
    async fn union_of_limited(&self) -> Result<Vec<String>>;
    #[sql("SELECT title FROM books b WHERE NOT EXISTS (SELECT 1 FROM loans l WHERE l.book_id = b.id) ORDER BY stars DESC NULLS LAST")]
    async fn not_exists_ordered(&self) -> Result<Vec<String>>;
    #[sql("SELECT id FROM members WHERE email = ANY(ARRAY['a@x', 'b@x']) AND joined BETWEEN DATE '2000-01-01' AND current_date")]
    async fn any_of_array_literal(&self) -> Result<Vec<i32>>;
    #[sql("SELECT country, count(*) FROM authors GROUP BY country")]
    async fn group_by_nullable(&self) -> Result<Vec<(Option<String>, i64)>>;
    #[sql("SELECT author_id, max(title) FILTER (WHERE pages > 60) FROM books GROUP BY author_id")]
    async fn grouped_filter(&self) -> Result<Vec<(i64, Option<String>)>>;
    #[sql("SELECT DISTINCT ON (member_id) member_id, returned_at FROM loans ORDER BY member_id, lent_at DESC")]
    async fn distinct_on_nullable(&self) -> Result<Vec<(i32, Option<Ts>)>>;
    #[sql("SELECT count(DISTINCT member_id) FILTER (WHERE returned_at IS NULL), avg(fine_cents)::int8 FROM loans WHERE id < 0")]
    async fn count_filter_and_cast(&self) -> Result<Vec<(i64, Option<i64>)>>;

    // Statements that write, and CTEs around them.
    #[sql("WITH upd AS (UPDATE books SET pages = pages WHERE id = 3 RETURNING id, pages) SELECT id, pages FROM upd")]
    async fn update_in_cte(&self) -> Result<Vec<(i64, Option<i32>)>>;
    #[sql("WITH gone AS (DELETE FROM loans WHERE id = 4 RETURNING member_id) SELECT m.email FROM gone LEFT JOIN members m ON m.id = gone.member_id")]
    async fn delete_in_cte(&self) -> Result<Vec<Option<String>>>;
    #[sql("WITH ins AS (INSERT INTO authors (name) VALUES ('Di') RETURNING id, born) SELECT id, born FROM ins")]
    async fn insert_in_cte(&self) -> Result<Vec<(i64, Option<NaiveDate>)>>;
    #[sql("INSERT INTO authors (name, country) SELECT name || '2', country FROM authors RETURNING id, country")]
    async fn insert_select_nullable(&self) -> Result<Vec<(i64, Option<String>)>>;
    #[sql("UPDATE authors SET born = NULL WHERE id = 1 RETURNING born, name")]
    async fn update_to_null(&self) -> Result<Vec<(Option<NaiveDate>, String)>>;
    #[sql("UPDATE members m SET vip = true FROM loans l WHERE l.member_id = m.id RETURNING m.id, l.returned_at")]
    async fn update_from_nullable(&self) -> Result<Vec<(i32, Option<Ts>)>>;
    #[sql("INSERT INTO members (email, nick) VALUES ('d@x', NULL), ('e@x', 'ee') RETURNING nick")]
    async fn insert_rows_returning(&self) -> Result<Vec<Option<String>>>;
    #[sql("INSERT INTO members (email) VALUES ('f@x') ON CONFLICT DO NOTHING RETURNING id")]
    async fn insert_do_nothing(&self) -> Result<Vec<i32>>;
    #[sql("DELETE FROM members WHERE nick IS NULL RETURNING id, nick")]
    async fn delete_returning_nullable(&self) -> Result<Vec<(i32, Option<String>)>>;

    // More parameters.
    #[sql("SELECT id FROM shelves WHERE width_cm >= @w AND label ILIKE @pattern")]
    async fn param_ilike(&self, w: i32, pattern: &str) -> Result<Vec<i32>>;
    #[sql("INSERT INTO shelves (label, width_cm, depth_cm, capacity) VALUES (@label, @w, @d, @cap) RETURNING id")]
    async fn param_insert_altered(&self, label: &str, w: i32, d: Option<i16>, cap: i64) -> Result<i32>;
    #[sql("UPDATE authors SET country = @c WHERE id = ANY(@ids) RETURNING id")]
    async fn param_set_nullable(&self, c: Option<&str>, ids: &[i64]) -> Result<Vec<i64>>;
    #[sql("SELECT id FROM loans WHERE returned_at IS NULL AND lent_at < @before ORDER BY id LIMIT @n")]
    async fn param_before_limit(&self, before: Ts, n: i64) -> Result<Vec<i64>>;

    #[sql("SELECT lent_at + interval '1 day', returned_at - lent_at < interval '1 day', joined + 1, joined - DATE '2020-01-01', joined + interval '1 hour' FROM loans l JOIN members m ON m.id = l.member_id")]
    async fn date_arithmetic(&self) -> Result<Vec<(Ts, Option<bool>, NaiveDate, i32, NaiveDateTime)>>;
    /// Left to `verify()`: a timestamp plus an untyped literal (which operator PostgreSQL
    /// picks depends on the literal), a function not modelled, and `= ANY` over an array that
    /// could hold NULL.
    #[sql("SELECT lent_at + '1 day', format('%s!', book_id), book_id = ANY('{1,2}'::int8[]) FROM loans")]
    async fn left_to_verify(&self) -> Result<Vec<(Ts, String, Option<bool>)>>;
}

const SEED: &str = "
    INSERT INTO authors (id, name, born, country) VALUES
        (1, 'Ann', '1970-01-01', 'GB'), (2, 'Bo', NULL, NULL), (3, 'Cy', NULL, 'FR');
    INSERT INTO books (id, author_id, title, isbn, genre, pages, price, stars, tags, meta, published_at) VALUES
        (1, 1, 'Alpha', '1234567890', 'novel', 100, 10.00, 4.5, '{x,y}', '{\"isbn\": \"1\", \"n\": 1}', now()),
        (2, 1, 'Beta', '2234567890', 'poetry', 50, 5.50, NULL, '{}', '{}', NULL),
        (3, 2, 'Gamma', '3234567890', 'essay', NULL, 20.00, 3.0, '{z}', '{\"isbn\": \"3\"}', now());
    INSERT INTO members (id, email, nick, vip) VALUES
        (1, 'a@x', 'al', true), (2, 'b@x', NULL, false), (3, 'c@x', 'cy', false);
    SELECT setval('members_id_seq', 3), setval('books_id_seq', 3), setval('authors_id_seq', 3);
    INSERT INTO loans (id, book_id, member_id, returned_at, fine_cents) VALUES
        (1, 1, 1, now(), 100), (2, 1, 2, NULL, NULL), (3, 3, 1, NULL, 50), (4, 3, 99, NULL, NULL);
    SELECT setval('loans_id_seq', 4);
    INSERT INTO shelves (label, width_cm, depth_cm, note, capacity) VALUES
        ('A', 100, 30, NULL, 20), ('B', 80, NULL, 'top', 10);
";

/// Any value, to count NULLs whatever the type.
struct Anything;

impl<'a> FromSql<'a> for Anything {
    fn from_sql(
        _: &Type,
        _: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Anything)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[tokio::test]
async fn the_inferred_types_and_nulls_are_what_postgresql_gives() {
    let schema = [
        include_str!("typed_migrations/0001_library.sql"),
        include_str!("typed_migrations/0002_changes.sql"),
        include_str!("typed_migrations/0003_later.sql"),
        SEED,
    ]
    .concat();
    let db = TestDb::new(&schema).await;
    let client = db.client().await;
    // The database's description of every statement: its types against the inferred ones
    // (and against the Rust types).
    let report = PgCorpus::new(&client).verify().await.unwrap();
    assert!(report.is_ok(), "{report}");
    let corpus = PgCorpus::<()>::INFERRED;
    assert!(corpus.len() >= 150, "{} statements", corpus.len());
    let mut undecided = Vec::new();
    for statement in corpus {
        assert!(statement.modelled, "{}: beyond the inference", statement.method);
        for (n, p) in statement.params.iter().enumerate() {
            if p.is_none() {
                undecided.push(format!("{} ${}: type", statement.method, n + 1));
            }
        }
        if !statement.params.is_empty() {
            // Held against the database by `verify` above; run with their arguments below.
            continue;
        }
        // Each on its own, rolled back: the DML ones leave the rows as seeded.
        client.batch_execute("BEGIN").await.unwrap();
        let rows = client.query(statement.sql, &[]).await;
        client.batch_execute("ROLLBACK").await.unwrap();
        let rows = rows.unwrap_or_else(|e| panic!("{}: {e}", statement.method));
        assert!(!rows.is_empty(), "{}: the seeded rows give no row", statement.method);
        for (i, column) in statement.columns.iter().enumerate() {
            let nulls = rows.iter().filter(|r| r.get::<_, Option<Anything>>(i).is_none()).count();
            let at = format!("{} column {} `{}`", statement.method, i + 1, column.name);
            match column.nullable {
                Some(false) => assert_eq!(nulls, 0, "{at}: inferred NOT NULL, yet NULL came"),
                Some(true) => assert!(
                    nulls > 0,
                    "{at}: inferred nullable ({}), yet the rows built for it give no NULL",
                    column.why
                ),
                None => undecided.push(format!("{at}: nullability")),
            }
            if column.pg_type.is_none() {
                undecided.push(format!("{at}: type"));
            }
        }
    }
    // The parameterised ones run, as a user calls them.
    let corpus = PgCorpus::new(&client);
    let ts: Ts = "2100-01-01T00:00:00Z".parse().unwrap();
    assert_eq!(corpus.param_compared(1, 60, "A%").await.unwrap(), ["Alpha"]);
    assert_eq!(
        corpus.param_any_between_limit(&[1, 2, 3], 1, 100, 10, 0).await.unwrap(),
        ["Alpha", "Beta"]
    );
    assert_eq!(corpus.param_enum_in_list(Genre::Novel, 4.5, 1.0, ts).await.unwrap(), ["Alpha"]);
    client.batch_execute("BEGIN").await.unwrap();
    assert_eq!(corpus.param_insert(2, 3, None, Some(5)).await.unwrap(), 5);
    assert_eq!(corpus.param_update(3, None, Decimal::new(1, 0), &[]).await.unwrap(), None);
    assert_eq!(corpus.param_upsert(1, "a@x", None, "al2", ts.date_naive()).await.unwrap(), Some(1));
    assert_eq!(corpus.param_delete(1, 50).await.unwrap(), 2);
    client.batch_execute("ROLLBACK").await.unwrap();
    let (x, y, z) = corpus.param_cast(7, &["a".to_owned()], &Value::Bool(true)).await.unwrap();
    assert_eq!((x, y, z), (7, vec!["a".to_owned()], Value::Bool(true)));
    assert_eq!(
        undecided,
        [
            "left_to_verify column 1 `?column?`: type",
            "left_to_verify column 2 `format`: nullability",
            "left_to_verify column 2 `format`: type",
            "left_to_verify column 3 `?column?`: nullability",
        ],
        "every other column is decided"
    );
}
