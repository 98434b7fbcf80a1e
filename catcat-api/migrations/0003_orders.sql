-- Orders, their history and progress, reviews, payments, idempotency records.
CREATE TABLE service_orders (
    id BIGINT PRIMARY KEY,
    order_no VARCHAR(32) NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES users (id),
    provider_id BIGINT REFERENCES users (id),
    pet_id BIGINT NOT NULL REFERENCES pets (id),
    package_id BIGINT NOT NULL REFERENCES service_packages (id),
    service_at TIMESTAMPTZ NOT NULL,
    address TEXT NOT NULL,
    address_detail TEXT,
    price NUMERIC(10, 2) NOT NULL,
    status SMALLINT NOT NULL,
    customer_remark TEXT,
    provider_remark TEXT,
    accepted_at TIMESTAMPTZ,
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    cancelled_at TIMESTAMPTZ,
    cancel_reason TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT service_orders_order_no_key UNIQUE (order_no)
);
CREATE INDEX service_orders_customer ON service_orders (customer_id, created_at DESC);
CREATE INDEX service_orders_provider ON service_orders (provider_id, created_at DESC);
CREATE INDEX service_orders_status ON service_orders (status, service_at);

CREATE TABLE order_status_history (
    id BIGINT PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES service_orders (id),
    from_status SMALLINT,
    to_status SMALLINT NOT NULL,
    operator_id BIGINT NOT NULL,
    remark TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_status_history_order ON order_status_history (order_id, created_at);

CREATE TABLE service_progress (
    id BIGINT PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES service_orders (id),
    provider_id BIGINT NOT NULL REFERENCES users (id),
    status SMALLINT NOT NULL,
    description TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    address TEXT,
    image_urls JSONB NOT NULL DEFAULT '[]',
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_progress_order ON service_progress (order_id, created_at);

CREATE TABLE reviews (
    id BIGINT PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES service_orders (id),
    customer_id BIGINT NOT NULL REFERENCES users (id),
    provider_id BIGINT NOT NULL REFERENCES users (id),
    rating SMALLINT NOT NULL CONSTRAINT reviews_rating_range CHECK (rating BETWEEN 1 AND 5),
    content TEXT,
    photo_urls JSONB NOT NULL DEFAULT '[]',
    reply TEXT,
    replied_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT reviews_order_id_key UNIQUE (order_id)
);
CREATE INDEX reviews_provider ON reviews (provider_id, created_at DESC);

CREATE TABLE payments (
    id BIGINT PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES service_orders (id),
    payment_intent_id VARCHAR(255) NOT NULL,
    amount NUMERIC(10, 2) NOT NULL,
    currency VARCHAR(3) NOT NULL,
    status SMALLINT NOT NULL,
    method VARCHAR(50),
    paid_at TIMESTAMPTZ,
    error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT payments_payment_intent_id_key UNIQUE (payment_intent_id)
);

CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL,
    key VARCHAR(255) NOT NULL,
    request_hash TEXT NOT NULL,
    response_status SMALLINT,
    response_body JSONB,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);
