-- Risks record their history with the statement-level trigger of 0004
-- (activity_record_rows), as assets do: the row-level trigger rewrote the
-- tenant's chain head once per row, so a statement touching many risks
-- (a risk-matrix change re-evaluates every risk in one UPDATE; the
-- expiry of acceptances) cost one head update per row. The log is the
-- same: one entry per row, in statement order, chained under one head
-- lock. (tenant_id, id) is the key of risks, so the UPDATE pairing of old
-- and new rows is exact.

DROP TRIGGER activity_record ON risks;
CREATE TRIGGER activity_record_insert AFTER INSERT ON risks
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION activity_record_rows();
CREATE TRIGGER activity_record_update AFTER UPDATE ON risks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION activity_record_rows();
CREATE TRIGGER activity_record_delete AFTER DELETE ON risks
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION activity_record_rows();
