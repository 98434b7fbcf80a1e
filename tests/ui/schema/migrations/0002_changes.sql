ALTER TABLE users DROP COLUMN legacy;
ALTER TABLE users RENAME COLUMN email TO mail;
ALTER TABLE users ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE INDEX users_phone ON users (phone);
