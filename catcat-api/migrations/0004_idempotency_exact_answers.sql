-- Idempotency records keep the first answer's exact bytes (JSONB would reorder its keys, so a
-- replay would differ from the first answer), and expire: an index finds the old ones.
ALTER TABLE idempotency_keys ALTER COLUMN response_body TYPE TEXT USING response_body::text;
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
