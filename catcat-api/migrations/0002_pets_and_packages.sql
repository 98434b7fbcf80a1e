-- Pets and the service packages customers book.
CREATE TABLE pets (
    id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name VARCHAR(50) NOT NULL,
    type SMALLINT NOT NULL,
    breed VARCHAR(50),
    age INT,
    gender SMALLINT NOT NULL,
    avatar TEXT,
    character TEXT,
    dietary_habits TEXT,
    health_status TEXT,
    remarks TEXT,
    food_location TEXT,
    food_location_image TEXT,
    water_location TEXT,
    water_location_image TEXT,
    litter_box_location TEXT,
    litter_box_location_image TEXT,
    cleaning_supplies_location TEXT,
    cleaning_supplies_image TEXT,
    needs_water_refill BOOLEAN NOT NULL DEFAULT FALSE,
    special_instructions TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX pets_user ON pets (user_id);

CREATE TABLE service_packages (
    id BIGINT PRIMARY KEY,
    name VARCHAR(50) NOT NULL,
    description TEXT,
    price NUMERIC(10, 2) NOT NULL CONSTRAINT service_packages_price_positive CHECK (price >= 0),
    duration_minutes INT NOT NULL CONSTRAINT service_packages_duration_positive CHECK (duration_minutes > 0),
    icon_url TEXT,
    service_items JSONB NOT NULL DEFAULT '[]',
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    sort_order INT NOT NULL DEFAULT 0,
    deleted_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
