-- Read model tables for PostgreSQL, re-runnable: every statement is IF NOT EXISTS. One row per live entity (its
-- state as the entity's own snapshot codec writes it); the progress row is the journal ordering each tag's
-- projection passed.
CREATE TABLE IF NOT EXISTS read_model_entities (
    entity_type VARCHAR(16) NOT NULL,
    entity_id VARCHAR(255) NOT NULL,
    sequence_nr BIGINT NOT NULL,
    pool_id VARCHAR(255),
    state BYTEA NOT NULL,
    PRIMARY KEY (entity_type, entity_id)
);
CREATE INDEX IF NOT EXISTS read_model_entities_by_pool ON read_model_entities (entity_type, pool_id);
CREATE TABLE IF NOT EXISTS read_model_progress (
    tag VARCHAR(16) PRIMARY KEY,
    event_ordering BIGINT NOT NULL
);
