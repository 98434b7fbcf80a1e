-- The library the typed-statement corpus (`typed.rs`) reads: nullable and NOT NULL columns,
-- an ENUM, a domain, serial keys, and the changes later migrations make.
CREATE TYPE genre AS ENUM ('novel', 'poetry', 'essay');
CREATE DOMAIN isbn AS TEXT NOT NULL CHECK (length(VALUE) >= 10);

CREATE TABLE authors (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    born DATE,
    country VARCHAR(2)
);

CREATE TABLE books (
    id BIGSERIAL PRIMARY KEY,
    author_id BIGINT NOT NULL REFERENCES authors (id),
    title TEXT NOT NULL,
    isbn isbn,
    genre genre NOT NULL,
    pages INT,
    price NUMERIC(8, 2) NOT NULL,
    rating REAL,
    tags TEXT[] NOT NULL DEFAULT '{}',
    meta JSONB NOT NULL DEFAULT '{}',
    published_at TIMESTAMPTZ
);

CREATE TABLE members (
    id SERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    nick TEXT,
    joined DATE NOT NULL DEFAULT CURRENT_DATE
);

-- No foreign key on member_id: a loan of a member since removed stays.
CREATE TABLE loans (
    id BIGSERIAL PRIMARY KEY,
    book_id BIGINT NOT NULL REFERENCES books (id),
    member_id INT NOT NULL,
    lent_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    returned_at TIMESTAMPTZ,
    fine_cents BIGINT
);
