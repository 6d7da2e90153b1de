-- A received file's interchange control number is looked up per partner to
-- flag a re-sent interchange (engine flagRepeatedInterchanges). Without this
-- index the lookup scanned every document of the partner: each file cost
-- more than the one before (BenchmarkBacklogMemory).
CREATE INDEX documents_partner_isa ON documents (partner, isa_control, created_at);
