-- Access tokens issued before this instant are refused (a ban, a role change, a password change
-- or a sign-out ends the user's sessions on every replica within seconds). NULL: none ended.
ALTER TABLE users ADD COLUMN tokens_valid_after TIMESTAMPTZ;
