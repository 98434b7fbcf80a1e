-- The bookshop's one table. `#[derive(Entity)]` checks `Book` against this file while
-- compiling; the program applies it at start.
DROP TABLE IF EXISTS books;
CREATE TABLE books (
    id BIGINT PRIMARY KEY,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    price NUMERIC(10, 2) NOT NULL,
    binding INT NOT NULL,
    sold_out_at TIMESTAMPTZ
);
