-- Trading state. Money and quantities are NUMERIC (never floats on the live path); times are UTC.
-- Every object is created unqualified: the migration runner sets search_path to the target schema.

CREATE TABLE instruments (
    instrument  text PRIMARY KEY,
    venue       text NOT NULL,
    asset_class text NOT NULL,
    tick_size   numeric NOT NULL CHECK (tick_size > 0),
    lot_size    numeric NOT NULL CHECK (lot_size > 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    client_order_id text PRIMARY KEY,  -- idempotency key chosen by the execution coordinator
    venue_order_id  text,
    strategy        text NOT NULL,
    instrument      text NOT NULL REFERENCES instruments,
    side            text NOT NULL CHECK (side IN ('buy', 'sell')),
    order_type      text NOT NULL CHECK (order_type IN ('market', 'limit', 'stop', 'stop_limit')),
    quantity        numeric NOT NULL CHECK (quantity > 0),
    limit_price     numeric,
    status          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_strategy_created ON orders (strategy, created_at);

CREATE TABLE fills (
    fill_id         text PRIMARY KEY,  -- the venue's trade id: a replayed fill is a no-op
    client_order_id text NOT NULL REFERENCES orders,
    instrument      text NOT NULL REFERENCES instruments,
    side            text NOT NULL CHECK (side IN ('buy', 'sell')),
    quantity        numeric NOT NULL CHECK (quantity > 0),
    price           numeric NOT NULL CHECK (price > 0),
    commission      numeric NOT NULL DEFAULT 0,
    filled_at       timestamptz NOT NULL
);
CREATE INDEX fills_order ON fills (client_order_id);

CREATE TABLE positions (
    strategy    text NOT NULL,
    instrument  text NOT NULL REFERENCES instruments,
    quantity    numeric NOT NULL,  -- signed: negative is short
    avg_price   numeric NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (strategy, instrument)
);

CREATE TABLE account_snapshots (
    account     text NOT NULL,
    taken_at    timestamptz NOT NULL,
    currency    text NOT NULL,
    balance     numeric NOT NULL,
    equity      numeric NOT NULL,
    margin_used numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (account, taken_at)
);

CREATE TABLE promotion_records (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    strategy    text NOT NULL,
    from_stage  text NOT NULL CHECK (from_stage IN ('research', 'candidate', 'paper', 'live', 'retired')),
    to_stage    text NOT NULL CHECK (to_stage IN ('research', 'candidate', 'paper', 'live', 'retired')),
    decided_at  timestamptz NOT NULL DEFAULT now(),
    decided_by  text NOT NULL,
    evidence    jsonb NOT NULL
);
CREATE INDEX promotion_records_strategy ON promotion_records (strategy, decided_at);

-- Last known status of every strategy and agent: the durable copy Redis is rebuilt from.
CREATE TABLE component_status (
    kind        text NOT NULL CHECK (kind IN ('strategy', 'agent')),
    name        text NOT NULL,
    status      text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (kind, name)
);
