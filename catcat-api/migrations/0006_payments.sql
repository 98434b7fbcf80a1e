-- Payments: one per order, the intent's client secret kept so asking again answers the same
-- intent; the refund's id; when the order was paid (providers see paid orders only); the
-- Stripe events already applied (webhooks are delivered at least once).
ALTER TABLE payments ADD CONSTRAINT payments_order_id_key UNIQUE (order_id);
ALTER TABLE payments ADD COLUMN client_secret VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN refund_id VARCHAR(255);
ALTER TABLE payments ADD COLUMN refunded_at TIMESTAMPTZ;
ALTER TABLE service_orders ADD COLUMN paid_at TIMESTAMPTZ;

CREATE TABLE stripe_events (
    id VARCHAR(255) PRIMARY KEY,
    type VARCHAR(100) NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);
