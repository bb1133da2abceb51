-- Global search: the words each deal, person and organization is found by (see core::search).
-- A query word is a prefix, so the words are compared byte by byte ({BINARY}: C collation on
-- PostgreSQL, SQLite's default), and a prefix is a range of this index.
CREATE TABLE search_terms (
    workspace_id BIGINT NOT NULL,
    entity TEXT NOT NULL,
    term TEXT {BINARY} NOT NULL,
    record_id BIGINT NOT NULL
);
CREATE INDEX search_terms_prefix ON search_terms (workspace_id, entity, term, record_id);
CREATE INDEX search_terms_record ON search_terms (workspace_id, entity, record_id, term);
