-- Consumer-side de-duplication of bus messages: the ids each durable consumer has applied.
-- A consumer inserts (consumer, message_id) in the same transaction as the state change the
-- message causes, so "applied" and "recorded as applied" commit or roll back together; a
-- redelivery (crash between commit and ack, ack lost, or a slow consumer overtaken by ack_wait)
-- then finds the id here, or waits on the row lock of a transaction that is about to commit it.
-- See live/state/applied_ledger.py.

CREATE TABLE applied_messages (
    consumer   text NOT NULL,  -- the durable consumer name: the state this ledger guards
    message_id text NOT NULL,  -- Envelope.id
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
-- Loading a consumer's recent ids at start-up and pruning old ones both go by age.
CREATE INDEX applied_messages_consumer_applied_at ON applied_messages (consumer, applied_at);

-- SELECT (load at start-up), INSERT (record in the applying transaction) and DELETE (pruning ids
-- past any redelivery horizon, run by the runtime itself). No UPDATE: an applied id is never
-- rewritten. Unlike audit_log these rows are not evidence, only de-duplication keys, so the
-- application may delete the old ones.
DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON applied_messages TO %I', current_schema() || '_app');
END
$$;
