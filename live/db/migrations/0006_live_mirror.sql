-- What the live node's PostgreSQL mirror (live/mirror/) needs to record every order it can
-- send and every currency of an account, which 0001 could not hold.

-- Every NautilusTrader order type. 'stop' keeps its 0001 meaning (a stop-market order); the
-- others are NautilusTrader's names in snake case.
ALTER TABLE orders DROP CONSTRAINT orders_order_type_check;
ALTER TABLE orders ADD CONSTRAINT orders_order_type_check CHECK (order_type IN (
    'market', 'limit', 'stop', 'stop_limit', 'market_to_limit', 'limit_if_touched',
    'market_if_touched', 'trailing_stop_market', 'trailing_stop_limit'));

-- NULL where the order type has none, and on rows written before this migration. A trailing
-- stop's trigger is NULL until the venue (or NautilusTrader) first sets it, then follows it.
-- No sign check, like limit_price: some instruments trade at negative prices.
ALTER TABLE orders ADD COLUMN trigger_price numeric;
-- NautilusTrader's TimeInForce in snake case; NULL only on rows written before this migration.
ALTER TABLE orders ADD COLUMN time_in_force text CHECK (time_in_force IN (
    'gtc', 'ioc', 'fok', 'gtd', 'day', 'at_the_open', 'at_the_close'));

-- One snapshot row per currency of the account at that moment (a multi-currency cash account
-- has several balances in one state). The rows already there stay unique under the wider key.
ALTER TABLE account_snapshots DROP CONSTRAINT account_snapshots_pkey;
ALTER TABLE account_snapshots ADD PRIMARY KEY (account, taken_at, currency);

-- New columns on tables the application role was granted in 0002: table grants cover them.
