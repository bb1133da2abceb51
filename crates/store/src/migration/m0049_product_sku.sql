-- A product's article code (SKU), unique in its workspace when given, and the copy a deal's line
-- keeps of it (a line keeps its own name, price and rate as well).
ALTER TABLE products ADD COLUMN sku TEXT;
ALTER TABLE deal_line_items ADD COLUMN sku TEXT;
CREATE UNIQUE INDEX products_sku ON products (workspace_id, sku) WHERE sku IS NOT NULL;
