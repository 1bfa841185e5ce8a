-- The heat map's counts, kept as risks change instead of counted on every
-- GET /risks/heatmap: at 200,000 risks the count was a scan of the whole
-- register per request (make bench: about 5 requests/s on two cores). One
-- row per tenant, stage and cell: likelihood and impact 0 stand for "not
-- assessed at this stage"; closed risks are not counted. The statement
-- triggers below add what a statement's new rows bring and take away what
-- its old rows had, in the same transaction, so a reader sees the counts
-- of its own snapshot. Writers of one tenant's risks already take turns on
-- the tenant's activity chain head, so the cell rows add no new waiting.

CREATE TABLE risk_heat_counts (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    stage       text NOT NULL CHECK (stage IN ('inherent', 'current', 'residual')),
    likelihood  smallint NOT NULL CHECK (likelihood BETWEEN 0 AND 7),
    impact      smallint NOT NULL CHECK (impact BETWEEN 0 AND 7),
    -- Never negative, but no CHECK says so: INSERT ... ON CONFLICT checks
    -- the row it proposes (a cell's delta, negative when risks leave it)
    -- before it finds the row to update. 06_risks.sql compares the counts
    -- with the risks.
    n           bigint NOT NULL,
    PRIMARY KEY (tenant_id, stage, likelihood, impact)
);

-- Bookkeeping derived from risks (whose changes the activity log holds):
-- no stamps, no history. The services only read it; the trigger function
-- below writes it as the owner, which the tenant policy still binds.
CALL tenant_rls_setup('risk_heat_counts');
GRANT SELECT ON risk_heat_counts TO isms_app;

-- The cells a set of risks occupies, per stage.
CREATE FUNCTION risk_heat_cells(p_rows jsonb)
    RETURNS TABLE (tenant_id uuid, stage text, likelihood smallint, impact smallint,
                   n bigint)
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT (r ->> 'tenant_id')::uuid, s.stage,
           coalesce((r ->> (s.stage || '_likelihood'))::smallint, 0),
           coalesce((r ->> (s.stage || '_impact'))::smallint, 0), count(*)
      FROM jsonb_array_elements(p_rows) r
     CROSS JOIN (VALUES ('inherent'), ('current'), ('residual')) s(stage)
     WHERE r ->> 'status' <> 'closed'
     GROUP BY 1, 2, 3, 4
$$;

CREATE FUNCTION risk_heat_counts_apply() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_new jsonb := '[]';
    v_old jsonb := '[]';
BEGIN
    IF TG_OP <> 'DELETE' THEN
        SELECT coalesce(jsonb_agg(to_jsonb(x)), '[]') INTO v_new FROM new_rows x;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        SELECT coalesce(jsonb_agg(to_jsonb(x)), '[]') INTO v_old FROM old_rows x;
    END IF;
    INSERT INTO risk_heat_counts AS h (tenant_id, stage, likelihood, impact, n)
    SELECT d.tenant_id, d.stage, d.likelihood, d.impact, sum(d.n)
      FROM (SELECT c.tenant_id, c.stage, c.likelihood, c.impact, c.n
              FROM risk_heat_cells(v_new) c
            UNION ALL
            SELECT c.tenant_id, c.stage, c.likelihood, c.impact, -c.n
              FROM risk_heat_cells(v_old) c) d
     GROUP BY 1, 2, 3, 4
    HAVING sum(d.n) <> 0
        -- The same cells in the same order in every transaction: two
        -- statements never wait on each other's rows crosswise.
     ORDER BY 1, 2, 3, 4
    ON CONFLICT (tenant_id, stage, likelihood, impact)
    DO UPDATE SET n = h.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE TRIGGER heat_counts_insert AFTER INSERT ON risks
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk_heat_counts_apply();
CREATE TRIGGER heat_counts_update AFTER UPDATE ON risks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk_heat_counts_apply();
CREATE TRIGGER heat_counts_delete AFTER DELETE ON risks
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION risk_heat_counts_apply();

-- The counts of the risks that exist already. FORCE ROW LEVEL SECURITY
-- holds the owner to the tenant policies, so it is lifted for this one
-- statement of the migration's transaction.
ALTER TABLE risks NO FORCE ROW LEVEL SECURITY;
ALTER TABLE risk_heat_counts NO FORCE ROW LEVEL SECURITY;
INSERT INTO risk_heat_counts (tenant_id, stage, likelihood, impact, n)
SELECT r.tenant_id, s.stage, coalesce(s.l, 0), coalesce(s.i, 0), count(*)
  FROM risks r
 CROSS JOIN LATERAL (VALUES ('inherent', r.inherent_likelihood, r.inherent_impact),
                            ('current', r.current_likelihood, r.current_impact),
                            ('residual', r.residual_likelihood, r.residual_impact))
       s(stage, l, i)
 WHERE r.status <> 'closed'
 GROUP BY 1, 2, 3, 4;
ALTER TABLE risks FORCE ROW LEVEL SECURITY;
ALTER TABLE risk_heat_counts FORCE ROW LEVEL SECURITY;
