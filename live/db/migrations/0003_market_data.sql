-- Market data: bars and ticks. Prices are float8 here (analysis data, read into numpy/pandas);
-- money on the trading path lives in the NUMERIC tables of 0001.
--
-- Storage is chosen once, when this migration runs:
--   * TimescaleDB available -> hypertables (monthly chunks), compression after 30 days, and a
--     continuous aggregate of hourly bars. NOT exercised by the tests: the extension cannot be
--     installed on the development and CI machines.
--   * otherwise (tested)    -> native range partitioning by month on ts; partitions are created
--     on demand by ensure_market_partitions() before each ingest batch.
-- Either way the SQL-facing API is the same: tables bars/ticks, ensure_market_partitions(),
-- bars_rollup(), market_data_storage.

CREATE TABLE market_data_storage (
    storage text NOT NULL CHECK (storage IN ('timescaledb', 'native_partitions'))
);
-- TimescaleDB counts only when it can actually be used: installed, or available and preloaded
-- (CREATE EXTENSION fails without shared_preload_libraries = 'timescaledb').
INSERT INTO market_data_storage
SELECT CASE WHEN EXISTS (SELECT FROM pg_extension WHERE extname = 'timescaledb')
              OR (EXISTS (SELECT FROM pg_available_extensions WHERE name = 'timescaledb')
                  AND current_setting('shared_preload_libraries') LIKE '%timescaledb%')
            THEN 'timescaledb' ELSE 'native_partitions' END;

-- One row per committed ingest batch: the batch id is a hash of the batch's content, so a retry
-- after an ambiguous failure (connection lost around COMMIT) finds it here and commits nothing twice.
CREATE TABLE ingest_batches (
    batch_id      text PRIMARY KEY,
    target        text NOT NULL CHECK (target IN ('bars', 'ticks')),
    instrument    text NOT NULL,
    first_ts      timestamptz NOT NULL,
    last_ts       timestamptz NOT NULL,
    row_count     integer NOT NULL,
    rows_inserted integer NOT NULL,
    committed_at  timestamptz NOT NULL DEFAULT now()
);

DO $$
DECLARE
    timescale boolean := (SELECT storage = 'timescaledb' FROM market_data_storage);
    partitioning text := CASE WHEN timescale THEN '' ELSE ' PARTITION BY RANGE (ts)' END;
BEGIN
    IF timescale THEN
        CREATE EXTENSION IF NOT EXISTS timescaledb;
    END IF;
    EXECUTE 'CREATE TABLE bars (
        instrument text NOT NULL,
        timeframe  text NOT NULL,
        ts         timestamptz NOT NULL,  -- bar open time, UTC
        open       float8 NOT NULL,
        high       float8 NOT NULL,
        low        float8 NOT NULL,
        close      float8 NOT NULL,
        volume     float8 NOT NULL DEFAULT 0,
        PRIMARY KEY (instrument, timeframe, ts)
    )' || partitioning;
    -- seq orders ticks that share a timestamp (0, 1, 2 ... in source order), so the key is
    -- deterministic from the source and re-ingesting a file adds nothing.
    EXECUTE 'CREATE TABLE ticks (
        instrument text NOT NULL,
        ts         timestamptz NOT NULL,
        seq        integer NOT NULL,
        bid        float8 NOT NULL,
        ask        float8 NOT NULL,
        volume     float8 NOT NULL DEFAULT 0,
        PRIMARY KEY (instrument, ts, seq)
    )' || partitioning;
    IF timescale THEN
        PERFORM create_hypertable('bars', 'ts', chunk_time_interval => interval '1 month');
        PERFORM create_hypertable('ticks', 'ts', chunk_time_interval => interval '1 day');
        ALTER TABLE bars SET (timescaledb.compress, timescaledb.compress_segmentby = 'instrument, timeframe');
        ALTER TABLE ticks SET (timescaledb.compress, timescaledb.compress_segmentby = 'instrument');
        PERFORM add_compression_policy('bars', interval '30 days');
        PERFORM add_compression_policy('ticks', interval '7 days');
        EXECUTE 'CREATE MATERIALIZED VIEW bars_1h_cagg WITH (timescaledb.continuous) AS
            SELECT instrument, timeframe, time_bucket(interval ''1 hour'', ts) AS ts,
                   first(open, ts) AS open, max(high) AS high, min(low) AS low,
                   last(close, ts) AS close, sum(volume) AS volume
            FROM bars GROUP BY instrument, timeframe, time_bucket(interval ''1 hour'', ts)
            WITH NO DATA';
        PERFORM add_continuous_aggregate_policy('bars_1h_cagg', start_offset => interval '3 days',
            end_offset => interval '1 hour', schedule_interval => interval '1 hour');
    END IF;
END
$$;

-- Creates the monthly partitions of `target` covering [p_from, p_to]; a no-op on TimescaleDB.
-- Returns how many partitions it created. Month boundaries are computed in UTC whatever the
-- session's TimeZone, so a partition is always one UTC calendar month.
CREATE FUNCTION ensure_market_partitions(target text, p_from timestamptz, p_to timestamptz)
RETURNS integer
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    month timestamp := date_trunc('month', p_from AT TIME ZONE 'UTC');
    last_month timestamp := date_trunc('month', p_to AT TIME ZONE 'UTC');
    part text;
    created integer := 0;
BEGIN
    IF target NOT IN ('bars', 'ticks') THEN
        RAISE EXCEPTION 'ensure_market_partitions: unknown table %', target;
    END IF;
    IF (SELECT storage FROM market_data_storage) = 'timescaledb' THEN
        RETURN 0;
    END IF;
    WHILE month <= last_month LOOP
        part := format('%s_y%sm%s', target, to_char(month, 'YYYY'), to_char(month, 'MM'));
        IF to_regclass(format('%I.%I', current_schema(), part)) IS NULL THEN
            -- Only creators serialize (readers of existing partitions never take this lock).
            PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.' || part));
            IF to_regclass(format('%I.%I', current_schema(), part)) IS NULL THEN
                EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
                    current_schema(), part, current_schema(), target,
                    month AT TIME ZONE 'UTC', (month + interval '1 month') AT TIME ZONE 'UTC');
                created := created + 1;
            END IF;
        END IF;
        month := month + interval '1 month';
    END LOOP;
    RETURN created;
END
$$;

-- Bars of `p_timeframe` rolled up into buckets of `p_bucket` over [p_start, p_end): first open,
-- max high, min low, last close, summed volume; buckets labelled by their start, aligned to
-- 2000-01-01 00:00 UTC (so hours and days fall on UTC boundaries). Buckets of a month or more
-- are not supported (date_bin works on fixed-length intervals).
CREATE FUNCTION bars_rollup(p_instrument text, p_timeframe text, p_bucket interval,
                            p_start timestamptz, p_end timestamptz)
RETURNS TABLE (ts timestamptz, open float8, high float8, low float8, close float8, volume float8)
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
    SELECT date_bin(p_bucket, b.ts, timestamptz '2000-01-01 00:00:00+00') AS bucket,
           (array_agg(b.open ORDER BY b.ts))[1],
           max(b.high),
           min(b.low),
           (array_agg(b.close ORDER BY b.ts DESC))[1],
           sum(b.volume)
    FROM bars AS b
    WHERE b.instrument = p_instrument AND b.timeframe = p_timeframe
      AND b.ts >= p_start AND b.ts < p_end
    GROUP BY bucket
    ORDER BY bucket
$$;

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT ON bars, ticks, ingest_batches TO %I', current_schema() || '_app');
    EXECUTE format('GRANT SELECT ON market_data_storage TO %I', current_schema() || '_app');
END
$$;
