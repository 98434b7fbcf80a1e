-- Users, provider applications and refresh tokens.
CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    phone VARCHAR(20) NOT NULL,
    email VARCHAR(254),
    nick_name VARCHAR(50) NOT NULL,
    avatar TEXT,
    password_hash TEXT NOT NULL,
    role SMALLINT NOT NULL,
    status SMALLINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT users_phone_key UNIQUE (phone)
);

CREATE TABLE providers (
    id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    real_name VARCHAR(50) NOT NULL,
    id_card VARCHAR(32) NOT NULL,
    certificate_url TEXT,
    verify_status SMALLINT NOT NULL,
    verify_remark TEXT,
    rating NUMERIC(3, 2) NOT NULL DEFAULT 0,
    service_count INT NOT NULL DEFAULT 0,
    introduction TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT providers_user_id_key UNIQUE (user_id)
);

CREATE TABLE refresh_tokens (
    id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    family_id BIGINT NOT NULL,
    token_hash TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    replaced_by BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
