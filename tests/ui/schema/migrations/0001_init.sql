-- The schema the `schema` UI cases are checked against.
CREATE TYPE mood AS ENUM ('happy', 'sad');

CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    phone VARCHAR(20) NOT NULL,
    email TEXT,
    age INT NOT NULL,
    legacy TEXT,
    feeling mood NOT NULL DEFAULT 'happy',
    tags TEXT[] NOT NULL DEFAULT '{}',
    profile JSONB
);
