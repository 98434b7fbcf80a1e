//! The inference on a small library schema.
use super::*;

const MIGRATIONS: &str = "
    CREATE TYPE loan_state AS ENUM ('open', 'returned');
    CREATE DOMAIN email AS varchar(200) NOT NULL;
    CREATE TABLE authors (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, born DATE);
    CREATE TABLE books (
        id BIGSERIAL PRIMARY KEY, author_id BIGINT NOT NULL REFERENCES authors (id),
        title TEXT NOT NULL, pages INT, price NUMERIC(8, 2) NOT NULL, tags TEXT[] NOT NULL,
        meta JSONB NOT NULL
    );
    CREATE TABLE members (id BIGSERIAL PRIMARY KEY, mail email, nick TEXT);
    CREATE TABLE loans (
        id BIGSERIAL PRIMARY KEY, book_id BIGINT NOT NULL, member_id BIGINT NOT NULL,
        state loan_state NOT NULL, lent_at TIMESTAMPTZ NOT NULL, returned_at TIMESTAMPTZ
    );";

fn typed_of(sql: &str) -> Result<Typed, Diag> {
    let mut catalog = Catalog::default();
    catalog.apply_file("0001.sql", MIGRATIONS).expect("migrations apply");
    let statements = crate::check::syntax::check(sql).expect("parses");
    typed(&catalog, &statements[0])
}

fn infer(sql: &str) -> Result<Option<Vec<Col>>, Diag> {
    typed_of(sql).map(|t| t.columns)
}

/// `$n type` per parameter the context types.
fn params(sql: &str) -> String {
    let t = typed_of(sql).expect("resolves");
    t.params.iter().map(|(n, (ty, _))| format!("${n} {ty}")).collect::<Vec<_>>().join(", ")
}

#[test]
fn parameters_take_the_type_of_where_they_stand() {
    assert_eq!(
        params("SELECT id FROM books WHERE author_id = $1 AND pages > $2 AND title LIKE $3"),
        "$1 int8, $2 int4, $3 text"
    );
    assert_eq!(
        params(
            "SELECT id FROM books WHERE id = ANY($1) AND pages BETWEEN $2 AND $3 ORDER BY id LIMIT $4 OFFSET $5"
        ),
        "$1 int8[], $2 int4, $3 int4, $4 int8, $5 int8"
    );
    assert_eq!(
        params("INSERT INTO loans (book_id, member_id, state, lent_at) VALUES ($1, $2, $3, $4)"),
        "$1 int8, $2 int8, $3 enum:loan_state, $4 timestamptz"
    );
    assert_eq!(
        params("UPDATE books SET pages = $1, price = $2 WHERE id = $3 AND $4::int2 > 0"),
        "$1 int4, $2 numeric, $3 int8, $4 int2"
    );
    assert_eq!(params("SELECT id FROM books WHERE pages IN ($1, $2)"), "$1 int4, $2 int4");
    // The first context decides, as in PostgreSQL; a function's argument is not modelled.
    assert_eq!(params("SELECT $1 = id, $1 = pages, lower($2) FROM books"), "$1 int8");
    assert_eq!(params("DELETE FROM members WHERE nick = $1"), "$1 text");
    let e = typed_of(
        "INSERT INTO loans (book_id, member_id) VALUES (1, 2) ON CONFLICT (book_id) DO NOTHING",
    )
    .err()
    .expect("no key on book_id");
    assert_eq!(
        e.message,
        "`ON CONFLICT (book_id)` names no primary key or unique constraint of `loans`, so PostgreSQL refuses the statement"
    );
    assert!(e.help.starts_with("the keys of `loans` are (id)"), "{}", e.help);
    assert_eq!(
        params(
            "UPDATE books SET pages = coalesce($1, pages), price = greatest(price, $2) WHERE id = $3"
        ),
        "$1 int4, $2 numeric, $3 int8"
    );
    assert_eq!(
        params(
            "INSERT INTO members (id, mail) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE
             SET nick = $3 WHERE members.id < $4 AND excluded.mail <> ''"
        ),
        "$1 int8, $2 text, $3 text, $4 int8"
    );
}

/// `name type` per column, `?` after a nullable one, `!` after one not decided.
fn shape(sql: &str) -> String {
    let cols = infer(sql).expect("resolves").expect("modelled");
    cols.iter()
        .map(|c| {
            let null = match c.null {
                Null::No => "",
                Null::Yes(_) => "?",
                Null::Unknown => "!",
            };
            format!("{} {}{null}", c.name, c.ty.as_deref().unwrap_or("_"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn why(sql: &str, col: usize) -> String {
    match &infer(sql).expect("resolves").expect("modelled")[col].null {
        Null::Yes(why) => why.clone(),
        other => panic!("column {col} is {other:?}"),
    }
}

#[test]
fn columns_of_tables_aliases_and_stars() {
    assert_eq!(shape("SELECT id, name, born FROM authors"), "id int8, name text, born date?");
    assert_eq!(
        shape("SELECT a.name AS author, b.* FROM authors a JOIN books b ON b.author_id = a.id"),
        "author text, id int8, author_id int8, title text, pages int4?, price numeric, tags text[], meta jsonb"
    );
    assert_eq!(shape("SELECT mail, nick FROM public.members"), "mail text, nick text?");
    assert_eq!(shape("SELECT state FROM loans"), "state enum:loan_state");
}

#[test]
fn outer_joins_make_the_other_side_nullable() {
    let left = "SELECT a.name, b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id";
    assert_eq!(shape(left), "name text, title text?");
    assert_eq!(
        why(left, 1),
        "the LEFT JOIN of `books` (as `b`) leaves its columns NULL where no row matches"
    );
    let on_line = "SELECT a.name, b.title\nFROM authors a\nLEFT JOIN books b ON b.author_id = a.id";
    assert_eq!(
        why(on_line, 1),
        "the LEFT JOIN of `books` (as `b`) on line 3 leaves its columns NULL where no row matches"
    );
    let right = "SELECT a.name FROM authors a RIGHT JOIN books b ON b.author_id = a.id";
    assert_eq!(
        why(right, 0),
        "the RIGHT JOIN of `books` (as `b`) leaves the columns of `authors` (as `a`) NULL where no row of it matches"
    );
    assert_eq!(
        shape("SELECT a.name, b.title FROM authors a RIGHT JOIN books b ON b.author_id = a.id"),
        "name text?, title text"
    );
    assert_eq!(
        shape("SELECT a.id, b.id FROM authors a FULL JOIN books b ON b.author_id = a.id"),
        "id int8?, id int8?"
    );
    // Nested: the inner join's both sides are on the outer side of the LEFT JOIN.
    assert_eq!(
        shape(
            "SELECT m.id, l.id, b.title FROM members m
             LEFT JOIN (loans l JOIN books b ON b.id = l.book_id) ON l.member_id = m.id"
        ),
        "id int8, id int8?, title text?"
    );
    // Inside a CTE (safeql #499) and a subquery.
    assert_eq!(
        shape(
            "WITH x AS (SELECT a.id, b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id)
             SELECT id, title FROM x"
        ),
        "id int8, title text?"
    );
    assert_eq!(
        shape(
            "SELECT s.title FROM (SELECT b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id) s"
        ),
        "title text?"
    );
    // LATERAL (safeql #418).
    assert_eq!(
        shape(
            "SELECT a.name, last.lent_at FROM authors a LEFT JOIN LATERAL (
               SELECT l.lent_at FROM loans l JOIN books b ON b.id = l.book_id
               WHERE b.author_id = a.id ORDER BY l.lent_at DESC LIMIT 1) last ON true"
        ),
        "name text, lent_at timestamptz?"
    );
}

#[test]
fn where_narrows_only_what_it_rejects() {
    // sqlx #2127: a WHERE on another table leaves the outer side nullable.
    assert_eq!(
        shape(
            "SELECT a.name, b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id WHERE a.id = 1"
        ),
        "name text, title text?"
    );
    // A condition on the outer side means its row was matched.
    assert_eq!(
        shape(
            "SELECT b.title, b.pages FROM authors a LEFT JOIN books b ON b.author_id = a.id WHERE b.id > 10"
        ),
        "title text, pages int4?"
    );
    assert_eq!(
        shape("SELECT born FROM authors WHERE born IS NOT NULL AND name <> ''"),
        "born date"
    );
    // Under OR nothing is narrowed.
    assert_eq!(shape("SELECT born FROM authors WHERE born IS NOT NULL OR id = 1"), "born date?");
}

#[test]
fn aggregates_and_functions() {
    assert_eq!(
        shape(
            "SELECT count(*), sum(pages), sum(id), avg(pages), min(title), max(price) FROM books"
        ),
        "count int8, sum int8?, sum numeric?, avg numeric?, min text?, max numeric?"
    );
    assert_eq!(
        shape("SELECT author_id, count(*), sum(price), max(pages) FROM books GROUP BY author_id"),
        "author_id int8, count int8, sum numeric, max int4?"
    );
    assert!(why("SELECT max(id) FROM books", 0).contains("no rows"));
    assert_eq!(
        shape(
            "SELECT coalesce(pages, 0), nullif(title, ''), greatest(pages, 1), lower(title), length(title), now(), concat(title, pages) FROM books"
        ),
        "coalesce int4, nullif text?, greatest int4, lower text, length int4, now timestamptz, concat text"
    );
    assert_eq!(
        shape(
            "SELECT row_number() OVER (ORDER BY id), count(*) FILTER (WHERE pages > 1) FROM books"
        ),
        "row_number int8, count int8"
    );
    assert_eq!(
        shape("SELECT meta->>'isbn', meta->'isbn', meta @> '{}' FROM books"),
        "?column? text?, ?column? jsonb?, ?column? bool"
    );
    assert_eq!(shape("SELECT unknown_fn(title) FROM books"), "unknown_fn _!");
    assert_eq!(
        shape("SELECT coalesce(sum(id), 0), coalesce(max(pages), 0::int8) FROM books"),
        "coalesce numeric, coalesce int8"
    );
    assert_eq!(shape("SELECT 1 UNION SELECT 2.5"), "?column? numeric");
    assert_eq!(
        shape(
            "SELECT lent_at + interval '1 day', returned_at - lent_at, lent_at + '1 day' FROM loans"
        ),
        "?column? timestamptz, ?column? interval?, ?column? _"
    );
}

#[test]
fn literals_casts_operators_and_case() {
    assert_eq!(
        shape("SELECT 1, 3000000000, 1.5, 'x', true, NULL, '2020-01-01'::date, $1::int8, $2"),
        "?column? int4, ?column? int8, ?column? numeric, ?column? text, ?column? bool, ?column? text?, date date, int8 int8!, ?column? _!"
    );
    assert_eq!(
        shape("SELECT pages + 1, pages * id, price * 2, title || '!', pages > 3 FROM books"),
        "?column? int4?, ?column? int8?, ?column? numeric, ?column? text, ?column? bool?"
    );
    assert_eq!(
        shape(
            "SELECT CASE WHEN pages > 100 THEN 'long' ELSE 'short' END, CASE WHEN pages > 100 THEN title END FROM books"
        ),
        "case text, case text?"
    );
    assert_eq!(
        shape(
            "SELECT EXISTS (SELECT 1 FROM loans l WHERE l.book_id = b.id), (SELECT max(lent_at) FROM loans l WHERE l.book_id = b.id) AS last FROM books b"
        ),
        "exists bool, last timestamptz?"
    );
}

#[test]
fn set_operations_values_recursive_ctes_and_returning() {
    assert_eq!(shape("SELECT id FROM authors UNION ALL SELECT NULL::int8"), "id int8?");
    assert_eq!(shape("SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(n, s)"), "n int4, s text");
    assert_eq!(
        shape(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT i FROM n"
        ),
        "i int4"
    );
    assert_eq!(
        shape(
            "WITH RECURSIVE up(id, boss) AS (SELECT id, NULL::int8 FROM authors WHERE id = 1
               UNION ALL SELECT b.id, up.id FROM books b JOIN up ON b.author_id = up.id)
             SELECT id, boss FROM up"
        ),
        "id int8, boss int8?"
    );
    assert_eq!(
        shape(
            "INSERT INTO loans (book_id, member_id, state, lent_at) VALUES ($1, $2, 'open', now()) RETURNING id, returned_at"
        ),
        "id int8, returned_at timestamptz?"
    );
    assert_eq!(
        shape("UPDATE books SET pages = 1 WHERE id = $1 RETURNING title, pages"),
        "title text, pages int4"
    );
    assert_eq!(
        shape("DELETE FROM members WHERE id = $1 RETURNING *"),
        "id int8, mail text, nick text?"
    );
}

#[test]
fn unknown_names_are_errors_with_did_you_mean() {
    let e = infer("SELECT id FROM autors").expect_err("no such table");
    assert_eq!(e.message, "no table `autors` in the migrations");
    assert!(e.help.starts_with("did you mean `authors`?"), "{}", e.help);
    let e = infer("SELECT a.nmae FROM authors a").expect_err("no such column");
    assert_eq!(e.message, "no column `nmae` in `a`");
    assert!(e.help.starts_with("did you mean `name`?"), "{}", e.help);
    let e = infer("SELECT titel FROM books WHERE id = 1").expect_err("no such column");
    assert!(e.message.starts_with("no column `titel`"), "{}", e.message);
    let e = infer("SELECT b.id FROM books WHERE id = 1").expect_err("no such alias");
    assert_eq!(e.message, "no table or alias `b` in this statement's FROM");
    let e = infer("SELECT id FROM books WHERE pagez > 1").expect_err("in WHERE too");
    assert!(e.message.starts_with("no column `pagez`"), "{}", e.message);
    for sql in [
        "SELECT author_id FROM books GROUP BY autor_id",
        "SELECT author_id, count(*) FROM books GROUP BY author_id HAVING max(pagez) > 1",
        "SELECT id FROM books ORDER BY titel",
    ] {
        let e = infer(sql).expect_err(sql);
        assert!(e.message.starts_with("no column"), "{sql}: {}", e.message);
    }
    // Output names and positions are fine there.
    assert!(
        infer("SELECT author_id AS a, count(*) AS n FROM books GROUP BY a ORDER BY n DESC, 1")
            .is_ok()
    );
    assert!(infer("SELECT title FROM books ORDER BY lower(title), id").is_ok());
    // Outer references in a subquery resolve; unknown relations leave names alone.
    assert!(infer("SELECT (SELECT b.title) FROM books b").is_ok());
    assert!(infer("SELECT x FROM generate_series(1, 3) x").expect("resolves").is_some());
    assert!(infer("SELECT relname FROM pg_catalog.pg_class").is_ok());
    assert!(infer("SELECT current_date, localtimestamp").is_ok());
}

#[test]
fn a_string_that_is_no_value_of_its_enum_is_an_error() {
    for sql in [
        "SELECT id FROM loans WHERE state = 'opne'",
        "SELECT id FROM loans WHERE state IN ('open', 'opne')",
        "SELECT 'opne'::loan_state",
        "UPDATE loans SET state = 'opne' WHERE id = 1",
        "INSERT INTO loans (book_id, member_id, state, lent_at) VALUES (1, 2, 'opne', now())",
        "SELECT CASE state WHEN 'opne' THEN 1 ELSE 2 END FROM loans",
    ] {
        let e = infer(sql).expect_err(sql);
        assert_eq!(e.message, "'opne' is not a value of the enum `loan_state`", "{sql}");
        assert_eq!(
            e.help,
            "did you mean `open`? the migrations give `loan_state` the values `open`, `returned`",
            "{sql}"
        );
    }
    // Values the type has, a value added later, and text compared with text.
    assert!(infer("SELECT id FROM loans WHERE state IN ('open', 'returned')").is_ok());
    assert!(infer("SELECT id FROM loans WHERE state::text = 'opne'").is_ok());
    let mut catalog = Catalog::default();
    catalog.apply_file("0001.sql", MIGRATIONS).expect("migrations apply");
    catalog
        .apply_file(
            "0002.sql",
            "ALTER TYPE loan_state ADD VALUE IF NOT EXISTS 'lost' BEFORE 'returned';",
        )
        .expect("applies");
    let statements =
        crate::check::syntax::check("SELECT 1 FROM loans WHERE state = 'lost'").unwrap();
    assert!(typed(&catalog, &statements[0]).is_ok());
}

#[test]
fn set_returning_functions_give_their_columns() {
    assert_eq!(shape("SELECT n FROM generate_series(1, 3) n"), "n int4");
    assert_eq!(shape("SELECT g FROM generate_series(1, 3000000000) AS g"), "g int8");
    assert_eq!(
        shape("SELECT * FROM generate_series(1, 3) WITH ORDINALITY AS t(n, i)"),
        "n int4, i int8"
    );
    assert_eq!(
        shape(
            "SELECT t FROM generate_series(now(), now() + interval '1 day', interval '1 hour') t"
        ),
        "t timestamptz"
    );
    assert_eq!(shape("SELECT t FROM books b, unnest(b.tags) t"), "t text?");
    assert_eq!(shape("SELECT x.tag FROM books b, unnest(b.tags) AS x(tag)"), "tag text?");
    assert_eq!(
        shape("SELECT unnest(tags), generate_series(1, 2) FROM books"),
        "unnest text?, generate_series int4"
    );
    assert_eq!(
        shape("SELECT key, value FROM books b, jsonb_each(b.meta)"),
        "key text, value jsonb"
    );
    assert_eq!(
        shape("SELECT e.value FROM books b, jsonb_array_elements_text(b.meta) e"),
        "value text?"
    );
    // An unknown column in the arguments is an error; an unmodelled function leaves names open.
    assert!(infer("SELECT t FROM books b, unnest(b.tgs) t").is_err());
    assert!(infer("SELECT x, anything FROM my_rows(1) x").is_ok());
}

#[test]
fn using_merges_the_columns_it_names() {
    let by_author = "(SELECT author_id AS id, title FROM books) b";
    assert_eq!(
        shape(&format!("SELECT * FROM authors a JOIN {by_author} USING (id)")),
        "id int8, name text, born date?, title text"
    );
    assert_eq!(
        shape(&format!("SELECT * FROM authors a LEFT JOIN {by_author} USING (id)")),
        "id int8, name text, born date?, title text?"
    );
    assert_eq!(
        shape(&format!("SELECT id, b.id, a.id FROM authors a RIGHT JOIN {by_author} USING (id)")),
        "id int8, id int8, id int8?"
    );
    assert_eq!(
        shape(&format!("SELECT id FROM authors a FULL JOIN {by_author} USING (id)")),
        "id int8"
    );
    assert_eq!(
        shape("SELECT id FROM members m FULL JOIN (SELECT nick AS id FROM members) n USING (id)"),
        "id _"
    );
    let nicks = "(SELECT nick AS id FROM members)";
    assert_eq!(
        shape(&format!("SELECT id FROM {nicks} m FULL JOIN {nicks} n USING (id)")),
        "id text?"
    );
    // A comma binds looser than the join: `x` is not the right join's nullable side.
    assert_eq!(
        shape(
            "SELECT x.name, b.title FROM authors x, books b RIGHT JOIN loans l ON l.book_id = b.id"
        ),
        "name text, title text?"
    );
    // Not on both sides once: left open, no false error.
    assert!(infer("SELECT id FROM authors a JOIN books b USING (nope)").is_ok());
}

#[test]
fn a_batch_types_the_arrays_it_unnests_from_the_columns_they_fill() {
    assert_eq!(
        params("INSERT INTO loans (book_id, member_id, state) SELECT * FROM UNNEST($1, $2, $3)"),
        "$1 int8[], $2 int8[], $3 enum:loan_state[]"
    );
    // An array column: its rows cut out of every row's elements by bounds.
    assert_eq!(
        params(
            "INSERT INTO books (author_id, tags, title) SELECT __u.c0, ($2)[__u.f1:__u.l1], __u.c2 \
             FROM UNNEST($1, $3, $4, $5) AS __u(c0, f1, l1, c2)"
        ),
        "$1 int8[], $2 text[], $3 int4[], $4 int4[], $5 text[]"
    );
    // Not a batch: a select from a table is left as it was.
    assert_eq!(
        params("INSERT INTO authors (name) SELECT name FROM authors WHERE id = $1"),
        "$1 int8"
    );
}

#[test]
fn rows_in_an_unnest_take_the_types_of_what_they_are_compared_with() {
    assert_eq!(
        params("SELECT id FROM loans WHERE (book_id, state) IN (SELECT * FROM UNNEST($1, $2))"),
        "$1 int8[], $2 enum:loan_state[]"
    );
    assert_eq!(
        params("SELECT id FROM books WHERE pages IN (SELECT * FROM UNNEST($1))"),
        "$1 int4[]"
    );
}
