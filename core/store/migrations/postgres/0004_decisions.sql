-- 0004 (PostgreSQL, as SQLite): a clerk's decision on an open exception: parked until a follow-up
-- date ("hold") or disputed with the supplier ("dispute"), with who and why.
-- The exception stays open (the document is not posted); the queue can hide
-- held ones until their date, and disputes are exported with their note.
ALTER TABLE exceptions ADD COLUMN decision TEXT COLLATE "C" NOT NULL DEFAULT '' CHECK (decision IN ('', 'hold', 'dispute'));
ALTER TABLE exceptions ADD COLUMN decision_by TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE exceptions ADD COLUMN decision_note TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE exceptions ADD COLUMN decided_at TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE exceptions ADD COLUMN held_until TEXT COLLATE "C" NOT NULL DEFAULT '';
