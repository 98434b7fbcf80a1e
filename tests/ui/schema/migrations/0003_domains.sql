-- Domains: a column of a domain has the domain's base type and its NOT NULL.
CREATE DOMAIN email_address AS VARCHAR(200) NOT NULL CHECK (VALUE LIKE '%@%');
CREATE DOMAIN cents AS BIGINT CHECK (VALUE >= 0);
CREATE TABLE accounts (
    id BIGINT PRIMARY KEY,
    email email_address,
    balance cents NOT NULL,
    credit cents
);
