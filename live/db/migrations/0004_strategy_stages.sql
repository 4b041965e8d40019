-- The current stage of every registered strategy: the runtime's source of truth (MLflow's model
-- registry mirrors it with aliases). Mutable state, one row per strategy, changed only by
-- live.registry inside a transaction holding SELECT ... FOR UPDATE on the row. Every change also
-- appends a row to promotion_records (append-only), which is the history; this table is the "now".
-- `revision` counts the changes, so a writer can tell that the row moved underneath it (a
-- compare-and-set on (stage, revision) rather than on the stage alone, which would miss A→B→A).

CREATE TABLE strategy_stages (
    strategy      text PRIMARY KEY CHECK (strategy ~ '^[a-z0-9_-]{1,100}$'),
    stage         text NOT NULL CHECK (stage IN ('research', 'candidate', 'paper', 'live', 'retired')),
    revision      bigint NOT NULL DEFAULT 0 CHECK (revision >= 0),
    model_name    text,            -- MLflow registered model, gauntlet.<strategy>
    model_version text,            -- MLflow model version of the spec that holds the stage
    spec_hash     text,
    evidence_hash text,
    spec          jsonb NOT NULL DEFAULT '{}',
    reason        text NOT NULL DEFAULT '',
    updated_by    text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX strategy_stages_stage ON strategy_stages (stage);

-- A strategy's history in the order it was written (decided_at is the transaction's start time,
-- so two quick transitions could tie on it; the identity column cannot).
CREATE INDEX promotion_records_strategy_id ON promotion_records (strategy, id);

-- No DELETE: retirement is a stage, and a strategy's row is never removed.
DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON strategy_stages TO %I', current_schema() || '_app');
END
$$;
