-- 0009: how strictly a partner's X12 is read. 'standard' follows the
-- segment dictionary; 'strict' also refuses the envelope deviations real
-- files often carry (ISA widths, GS08 unlike ISA12); 'lenient' accepts
-- sets whose only problems leave the business reading intact (undefined
-- segments, extra elements, lengths), acknowledged AK5*E with the problems
-- listed, for suppliers whose translators we cannot change.
ALTER TABLE partners ADD COLUMN x12_strictness TEXT NOT NULL DEFAULT 'standard';
