-- Later changes the schema model follows: a value added to an ENUM, identity and generated
-- columns, a table renamed, NOT NULL set and dropped, a column's type changed, a column
-- dropped, a table created and dropped.
ALTER TYPE genre ADD VALUE 'memoir' AFTER 'essay';

CREATE TABLE shelf_old (
    id INT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label VARCHAR(40),
    width_cm INT NOT NULL,
    depth_cm SMALLINT,
    area_cm2 INT GENERATED ALWAYS AS (width_cm * depth_cm) STORED,
    note TEXT NOT NULL DEFAULT '',
    capacity SMALLINT NOT NULL,
    legacy TEXT
);
ALTER TABLE shelf_old RENAME TO shelves;
ALTER TABLE shelves ALTER COLUMN label SET NOT NULL;
ALTER TABLE shelves ALTER COLUMN note DROP NOT NULL;
ALTER TABLE shelves ALTER COLUMN capacity TYPE BIGINT;
ALTER TABLE shelves DROP COLUMN legacy;

CREATE TABLE scratch (x INT);
DROP TABLE scratch;
