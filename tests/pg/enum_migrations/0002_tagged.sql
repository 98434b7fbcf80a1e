-- Array columns, one of them of the ENUM, batch inserted through `<<unnest>>` (tests/pg/arrays.rs).
CREATE TABLE tagged (
    id BIGINT PRIMARY KEY,
    tags TEXT[] NOT NULL,
    moods shelf_mood[],
    scores INT[] NOT NULL,
    note TEXT NOT NULL
);
