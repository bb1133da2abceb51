-- The knowledge base: articles in Markdown (instructions and call scripts) in sections, with a
-- stable key per workspace (the regulation file's), every saved text kept as a version, and links
-- from the regulation's objects (stage, rule, entry_task, template) by their stable keys.
CREATE TABLE kb_articles (
    id {ID},
    workspace_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    section TEXT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    -- Title, section and body in lower case, for search by a word anywhere in the article.
    search_text TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE UNIQUE INDEX kb_articles_key ON kb_articles (workspace_id, key) WHERE deleted_at IS NULL;
CREATE INDEX kb_articles_ws_section ON kb_articles (workspace_id, section, title);
CREATE TABLE kb_versions (
    id {ID},
    workspace_id BIGINT NOT NULL,
    article_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    section TEXT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    links TEXT NOT NULL,
    author_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX kb_versions_article ON kb_versions (workspace_id, article_id, version);
CREATE TABLE kb_links (
    id {ID},
    workspace_id BIGINT NOT NULL,
    article_id BIGINT NOT NULL,
    target_kind TEXT NOT NULL,
    target_key TEXT NOT NULL
);
CREATE UNIQUE INDEX kb_links_article ON kb_links (workspace_id, article_id, target_kind, target_key);
CREATE INDEX kb_links_target ON kb_links (workspace_id, target_kind, target_key);
