-- A PostgreSQL ENUM column, read and written by a `#[sql_enum(text)]` field (tests/pg/enums.rs).
CREATE TYPE shelf_mood AS ENUM ('calm', 'loud', 'e-book');
CREATE TABLE shelves (
    id BIGINT PRIMARY KEY,
    mood shelf_mood NOT NULL,
    was shelf_mood,
    label TEXT NOT NULL
);
