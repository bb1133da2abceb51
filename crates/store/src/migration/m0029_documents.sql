-- Products, a deal's line items, DOCX templates, numbering sequences and the documents made from
-- them (issue 21, docs/DOCUMENTS.md). Money is minor units; a quantity is thousandths of a unit; a
-- percentage discount is hundredths of a percent.
CREATE TABLE products (
    id {ID},
    workspace_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    price BIGINT NOT NULL,
    currency TEXT NOT NULL,
    vat_rate TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX products_ws ON products (workspace_id, status, name);
CREATE TABLE deal_line_items (
    id {ID},
    workspace_id BIGINT NOT NULL,
    deal_id BIGINT NOT NULL,
    product_id BIGINT,
    name TEXT NOT NULL,
    quantity_milli BIGINT NOT NULL,
    unit TEXT NOT NULL,
    price BIGINT NOT NULL,
    discount_kind TEXT NOT NULL,
    discount_value BIGINT NOT NULL,
    vat_rate TEXT NOT NULL,
    position BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX deal_line_items_deal ON deal_line_items (workspace_id, deal_id, position);
-- Per deal: whether its value follows its line items' total.
CREATE TABLE deal_line_settings (
    workspace_id BIGINT NOT NULL,
    deal_id BIGINT NOT NULL,
    value_from_items BIGINT NOT NULL
);
CREATE UNIQUE INDEX deal_line_settings_deal ON deal_line_settings (workspace_id, deal_id);
-- Per workspace: whether prices include VAT (1, the default when there is no row) or not.
CREATE TABLE document_settings (
    workspace_id BIGINT NOT NULL,
    prices_include_vat BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX document_settings_ws ON document_settings (workspace_id);
-- A DOCX template: its bytes (base64; templates are small), the placeholders it uses.
CREATE TABLE document_templates (
    id {ID},
    workspace_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    content TEXT NOT NULL,
    size BIGINT NOT NULL,
    fields TEXT NOT NULL,
    builtin BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX document_templates_ws ON document_templates (workspace_id, doc_type, name);
-- Numbering: one row per workspace, document type and year; next_number is taken by a single
-- UPDATE … RETURNING, so two documents never get the same number and none is skipped.
CREATE TABLE document_sequences (
    workspace_id BIGINT NOT NULL,
    doc_type TEXT NOT NULL,
    year BIGINT NOT NULL,
    next_number BIGINT NOT NULL
);
CREATE UNIQUE INDEX document_sequences_key ON document_sequences (workspace_id, doc_type, year);
CREATE TABLE document_prefixes (
    workspace_id BIGINT NOT NULL,
    doc_type TEXT NOT NULL,
    prefix TEXT NOT NULL
);
CREATE UNIQUE INDEX document_prefixes_key ON document_prefixes (workspace_id, doc_type);
-- A document made for a deal: its number, the DOCX and PDF files on the deal, the PDF's state.
CREATE TABLE documents (
    id {ID},
    workspace_id BIGINT NOT NULL,
    deal_id BIGINT NOT NULL,
    template_id BIGINT NOT NULL,
    doc_type TEXT NOT NULL,
    number TEXT NOT NULL,
    doc_date TEXT NOT NULL,
    total BIGINT,
    currency TEXT,
    docx_file_id BIGINT,
    pdf_file_id BIGINT,
    pdf_status TEXT NOT NULL,
    pdf_error TEXT,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX documents_deal ON documents (workspace_id, deal_id, id);
