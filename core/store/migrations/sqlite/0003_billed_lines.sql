-- 0003: what each invoice bills against each purchase-order line.
-- The engine writes these rows with the transition that records a posting
-- intent, so "already invoiced on this line" is a sum over rows whose
-- document is posting or posted: a document that later fails, is ignored
-- or is replaced stops counting without any row being rewritten. Quantities
-- are in the PO line's unit (after unit conversion) and amounts in the
-- invoice currency, both signed (a credit memo's rows are negative), stored
-- as exact decimal text like every other amount.
CREATE TABLE billed_lines (
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    order_no    TEXT NOT NULL,
    line_no     TEXT NOT NULL,
    release_no  TEXT NOT NULL DEFAULT '',
    quantity    TEXT NOT NULL,
    amount      TEXT NOT NULL,
    PRIMARY KEY (document_id, order_no, line_no, release_no)
);
CREATE INDEX billed_lines_po ON billed_lines (order_no, line_no, release_no);
