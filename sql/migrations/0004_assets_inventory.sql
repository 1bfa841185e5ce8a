-- 0004_assets_inventory: the full asset inventory (ISO/IEC 27001:2022
-- Annex A 5.9-5.14): owner and custodian, classification on the tenant's
-- scheme, confidentiality/integrity/availability on the tenant's scale,
-- lifecycle, tags, the integrators' external_id, review date; dependencies
-- between assets and the effective C/I/A they imply.
--
-- Also: a statement-level variant of the activity trigger, used for
-- assets so that a 10,000-row import appends to the hash chain in one pass
-- (the row-level trigger locks and rewrites the tenant's chain head once
-- per row, and each rewrite within one transaction makes the next lookup
-- slower: 10,000 rows took 10 s).

-- ---------------------------------------------------------------------------
-- Assets: the new attributes. Values that depend on the tenant's settings
-- (classification scheme, C/I/A scale) and on other rows (owner and
-- custodian are members) are checked by asset_problems() below, which the
-- service runs in the same statement as the write and turns into field
-- errors; the constraints here are the backstop.

ALTER TABLE assets
    ADD CONSTRAINT assets_description_length CHECK (char_length(description) <= 10000),
    ADD COLUMN owner_id          uuid,
    ADD COLUMN custodian_id      uuid,
    ADD COLUMN location          text CHECK (char_length(location) BETWEEN 1 AND 200),
    ADD COLUMN classification    text CHECK (char_length(classification) BETWEEN 1 AND 50),
    ADD COLUMN confidentiality   smallint CHECK (confidentiality BETWEEN 0 AND 10),
    ADD COLUMN integrity         smallint CHECK (integrity BETWEEN 0 AND 10),
    ADD COLUMN availability      smallint CHECK (availability BETWEEN 0 AND 10),
    ADD COLUMN status            text NOT NULL DEFAULT 'in_use'
                                 CHECK (status IN ('planned', 'in_use', 'retired', 'disposed')),
    ADD COLUMN status_changed_at timestamptz,
    ADD COLUMN in_use_since      date,
    ADD COLUMN retired_on        date,
    ADD COLUMN disposed_on       date,
    ADD COLUMN tags              text[] NOT NULL DEFAULT '{}'
                                 CHECK (cardinality(tags) <= 32 AND array_position(tags, NULL) IS NULL),
    ADD COLUMN external_id       text CHECK (char_length(external_id) BETWEEN 1 AND 200),
    ADD COLUMN review_date       date,
    -- Tenant-inclusive: the database refuses an owner from another tenant.
    -- A member who leaves leaves the asset without an owner (or custodian),
    -- which the activity log records like any other change.
    ADD CONSTRAINT assets_owner_fkey FOREIGN KEY (tenant_id, owner_id)
        REFERENCES memberships (tenant_id, user_id) ON DELETE SET NULL (owner_id),
    ADD CONSTRAINT assets_custodian_fkey FOREIGN KEY (tenant_id, custodian_id)
        REFERENCES memberships (tenant_id, user_id) ON DELETE SET NULL (custodian_id),
    -- The integrators' key; the import upserts on it.
    ADD CONSTRAINT assets_external_id_key UNIQUE (tenant_id, external_id);

-- Keyset paging for every sort the list offers (created_at exists, 0002);
-- descending pages walk the same indexes backwards.
CREATE INDEX assets_name_idx ON assets (tenant_id, name, id);
CREATE INDEX assets_updated_idx ON assets (tenant_id, updated_at, id);
-- The owner_id filter, and the memberships foreign keys' ON DELETE.
CREATE INDEX assets_owner_idx ON assets (tenant_id, owner_id) WHERE owner_id IS NOT NULL;
CREATE INDEX assets_custodian_idx ON assets (tenant_id, custodian_id) WHERE custodian_id IS NOT NULL;
-- No GIN index for tags (@>) or pg_trgm index for q (ILIKE): under FORCE
-- ROW LEVEL SECURITY the planner uses a user's condition as an index
-- condition only when its function is LEAKPROOF, which arraycontains and
-- texticlike are not (nor is any operator of a trusted extension), and
-- only a superuser can declare one so. Measured: such indexes were never
-- chosen for isms_app, even with sequential scans disabled, and cost a
-- third of a 10,000-row import. Those filters run on the keyset index walk
-- instead (about 2 ms per 1,000 assets scanned). Should a superuser mark
-- texticlike LEAKPROOF (its errors depend on the pattern only), a later
-- migration can add: CREATE EXTENSION pg_trgm and GIN (name
-- gin_trgm_ops), GIN (description gin_trgm_ops).

-- The lifecycle: entering a status stamps when it happened, and fills the
-- matching date when the client gave none.
CREATE FUNCTION assets_lifecycle() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        NEW.status_changed_at := now();
        CASE NEW.status
            WHEN 'in_use' THEN NEW.in_use_since := coalesce(NEW.in_use_since, current_date);
            WHEN 'retired' THEN NEW.retired_on := coalesce(NEW.retired_on, current_date);
            WHEN 'disposed' THEN NEW.disposed_on := coalesce(NEW.disposed_on, current_date);
            ELSE NULL;
        END CASE;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER lifecycle BEFORE INSERT OR UPDATE ON assets
    FOR EACH ROW EXECUTE FUNCTION assets_lifecycle();

-- ---------------------------------------------------------------------------
-- The tenant's asset settings, with the defaults for what it never set.
-- tenants.settings holds {"asset_classifications": [...],
-- "cia_scale": {"min": m, "max": n}}; the service writes them (admin only).

CREATE FUNCTION asset_settings() RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT jsonb_build_object(
        'asset_classifications',
        coalesce((SELECT t.settings -> 'asset_classifications' FROM tenants t
                   WHERE t.id = app_tenant_id()),
                 '["public", "internal", "confidential", "restricted"]'::jsonb),
        'cia_scale',
        coalesce((SELECT t.settings -> 'cia_scale' FROM tenants t
                   WHERE t.id = app_tenant_id()),
                 '{"min": 1, "max": 4}'::jsonb))
$$;

-- Why an asset row may not be written, one (field, message) per reason,
-- for the checks that need the tenant's settings or other rows. Called
-- with the row as it would be stored (after a PATCH is merged), so a
-- write is judged on its result. Plain SQL: inlined into the statement.
CREATE FUNCTION asset_problems(p assets, p_settings jsonb)
    RETURNS TABLE (field text, message text)
    LANGUAGE sql STABLE
    AS $$
    SELECT 'classification',
           'must be one of: ' || (SELECT string_agg(c, ', ')
                                    FROM jsonb_array_elements_text(p_settings -> 'asset_classifications') c)
     WHERE p.classification IS NOT NULL
       AND NOT (p_settings -> 'asset_classifications') ? p.classification
    UNION ALL
    SELECT v.f, format('must be an integer from %s to %s',
                       p_settings -> 'cia_scale' ->> 'min', p_settings -> 'cia_scale' ->> 'max')
      FROM (VALUES (1, 'confidentiality', p.confidentiality),
                   (2, 'integrity', p.integrity),
                   (3, 'availability', p.availability)) v(k, f, val)
     WHERE v.val IS NOT NULL
       AND (v.val < (p_settings -> 'cia_scale' ->> 'min')::int
            OR v.val > (p_settings -> 'cia_scale' ->> 'max')::int)
    UNION ALL
    SELECT 'owner_id', 'must be a member of this tenant'
     WHERE p.owner_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM memberships m
                        WHERE m.tenant_id = app_tenant_id() AND m.user_id = p.owner_id)
    UNION ALL
    SELECT 'custodian_id', 'must be a member of this tenant'
     WHERE p.custodian_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM memberships m
                        WHERE m.tenant_id = app_tenant_id() AND m.user_id = p.custodian_id)
    UNION ALL
    SELECT 'retired_on', 'must not be before in_use_since'
     WHERE p.retired_on < p.in_use_since
    UNION ALL
    SELECT 'disposed_on', 'must not be before retired_on or in_use_since'
     WHERE p.disposed_on < greatest(p.retired_on, p.in_use_since)
$$;

-- ---------------------------------------------------------------------------
-- Dependencies: asset_id depends on depends_on_id (a service on the
-- server it runs on, the server on its site). No cycles: the service adds
-- edges through asset_dependency_add(), which refuses one that closes a
-- loop while holding the tenant's graph lock.

CREATE TABLE asset_dependencies (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    asset_id       uuid NOT NULL,
    depends_on_id  uuid NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    created_by     uuid,
    updated_by     uuid,
    version        integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, asset_id, depends_on_id),
    FOREIGN KEY (tenant_id, asset_id) REFERENCES assets (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, depends_on_id) REFERENCES assets (tenant_id, id) ON DELETE CASCADE,
    CHECK (asset_id <> depends_on_id)
);

-- Paging both directions of an asset's edges; the reverse one also walks
-- the graph upwards (effective C/I/A) and serves the cascade.
CREATE INDEX asset_dependencies_page_idx
    ON asset_dependencies (tenant_id, asset_id, created_at, depends_on_id);
CREATE INDEX asset_dependencies_reverse_idx
    ON asset_dependencies (tenant_id, depends_on_id, created_at, asset_id);

-- History under the dependent asset's id.
CALL tenant_table_setup('asset_dependencies', 'asset_id');

GRANT SELECT, INSERT, DELETE ON asset_dependencies TO isms_app;

-- Adds "p_asset depends on p_depends_on". outcome: ok, no_asset (the
-- path's asset is not visible), no_target, archived, self, cycle, exists.
-- The advisory lock serialises edge inserts per tenant, and every check
-- after it runs on a fresh snapshot (READ COMMITTED), so two concurrent
-- inserts cannot close a cycle between them.
CREATE FUNCTION asset_dependency_add(p_asset uuid, p_depends_on uuid)
    RETURNS TABLE (outcome text, asset_id uuid, depends_on_id uuid, related jsonb,
                   created_at timestamptz, created_by uuid)
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := app_tenant_id();
    v_target assets%ROWTYPE;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('asset_dependencies'), hashtext(v_tenant::text));
    IF NOT EXISTS (SELECT 1 FROM assets a WHERE a.tenant_id = v_tenant AND a.id = p_asset) THEN
        outcome := 'no_asset';
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT * INTO v_target FROM assets a WHERE a.tenant_id = v_tenant AND a.id = p_depends_on;
    IF NOT FOUND THEN
        outcome := 'no_target';
    ELSIF p_asset = p_depends_on THEN
        outcome := 'self';
    ELSIF v_target.archived_at IS NOT NULL
          OR EXISTS (SELECT 1 FROM assets a WHERE a.tenant_id = v_tenant AND a.id = p_asset
                        AND a.archived_at IS NOT NULL) THEN
        outcome := 'archived';
    ELSIF EXISTS (SELECT 1 FROM asset_dependencies d
                   WHERE d.tenant_id = v_tenant AND d.asset_id = p_asset
                     AND d.depends_on_id = p_depends_on) THEN
        outcome := 'exists';
    ELSIF EXISTS (
        WITH RECURSIVE down(id) AS (
            SELECT p_depends_on
          UNION
            SELECT d.depends_on_id FROM down
              JOIN asset_dependencies d ON d.tenant_id = v_tenant AND d.asset_id = down.id)
        SELECT 1 FROM down WHERE down.id = p_asset) THEN
        outcome := 'cycle';
    END IF;
    IF outcome IS NOT NULL THEN
        RETURN NEXT;
        RETURN;
    END IF;
    RETURN QUERY
        INSERT INTO asset_dependencies AS d (tenant_id, asset_id, depends_on_id)
             VALUES (v_tenant, p_asset, p_depends_on)
        RETURNING 'ok'::text, d.asset_id, d.depends_on_id,
                  jsonb_build_object('id', v_target.id, 'name', v_target.name,
                                     'type', v_target.type, 'status', v_target.status,
                                     'archived', false),
                  d.created_at, d.created_by;
END
$$;

-- The effective C, I and A of an asset: the highest value over the asset
-- itself (its own values are passed in, so a statement that has just
-- written the row reports what it wrote) and every asset that depends on
-- it, directly or through others; archived assets do not count. Each value
-- names the asset it comes from (the asset itself on a tie). COST tells
-- the planner to run it only for the rows a page returns.
CREATE FUNCTION asset_effective(p_id uuid, p_c smallint, p_i smallint, p_a smallint)
    RETURNS jsonb
    LANGUAGE sql STABLE COST 1000
    AS $$
    WITH RECURSIVE up(id) AS (
        SELECT d.asset_id FROM asset_dependencies d
          JOIN assets a ON a.tenant_id = d.tenant_id AND a.id = d.asset_id
         WHERE d.tenant_id = app_tenant_id() AND d.depends_on_id = p_id
           AND a.archived_at IS NULL
      UNION
        SELECT d.asset_id FROM up
          JOIN asset_dependencies d ON d.tenant_id = app_tenant_id() AND d.depends_on_id = up.id
          JOIN assets a ON a.tenant_id = d.tenant_id AND a.id = d.asset_id
         WHERE a.archived_at IS NULL
    ), vals AS (
        SELECT p_id AS id, p_c AS c, p_i AS i, p_a AS av, 0 AS rank
      UNION ALL
        SELECT a.id, a.confidentiality, a.integrity, a.availability, 1
          FROM up JOIN assets a ON a.tenant_id = app_tenant_id() AND a.id = up.id
         WHERE a.id <> p_id
    )
    SELECT jsonb_build_object(
        'confidentiality', coalesce(
            (SELECT jsonb_build_object('value', v.c, 'source_id', v.id) FROM vals v
              WHERE v.c IS NOT NULL ORDER BY v.c DESC, v.rank, v.id LIMIT 1),
            '{"value": null, "source_id": null}'),
        'integrity', coalesce(
            (SELECT jsonb_build_object('value', v.i, 'source_id', v.id) FROM vals v
              WHERE v.i IS NOT NULL ORDER BY v.i DESC, v.rank, v.id LIMIT 1),
            '{"value": null, "source_id": null}'),
        'availability', coalesce(
            (SELECT jsonb_build_object('value', v.av, 'source_id', v.id) FROM vals v
              WHERE v.av IS NOT NULL ORDER BY v.av DESC, v.rank, v.id LIMIT 1),
            '{"value": null, "source_id": null}'))
$$;

GRANT EXECUTE ON FUNCTION asset_settings(), asset_problems(assets, jsonb),
    asset_dependency_add(uuid, uuid), asset_effective(uuid, smallint, smallint, smallint)
    TO isms_app;

-- ---------------------------------------------------------------------------
-- Statement-level activity recording. Same entries, same chain, same
-- canonical text as activity_record() (0001), but each tenant's chain head
-- is locked, read and written once per statement instead of once per row,
-- the canonical texts are built in one query, and the entries are
-- inserted in one. Rows enter the chain in the order the statement
-- produced them; they share one occurred_at, the statement's moment. An
-- UPDATE pairs old and new rows on (tenant_id, <id column>), which must
-- therefore be unique.
-- Arguments: TG_ARGV[0] = column holding the entity id (default id).

CREATE FUNCTION activity_record_rows() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    c_secret   CONSTANT text[] := ARRAY['password_hash', 'secret_hash', 'token_hash', 'content'];
    v_id_col   text := coalesce(TG_ARGV[0], 'id');
    v_action   text := CASE TG_OP WHEN 'INSERT' THEN 'create'
                                  WHEN 'UPDATE' THEN 'update' ELSE 'delete' END;
    v_actor    uuid := app_user_id();
    v_request  text := app_request_id();
    v_at       timestamptz := clock_timestamp();
    -- One element per changed row, in statement order.
    v_tenants  uuid[];
    v_ids      text[];
    v_befores  jsonb[];
    v_afters   jsonb[];
    v_tenant   uuid;
    v_seq      bigint;
    v_prev     bytea;
    v_text     bytea;
    v_texts    bytea[];
    v_prevs    bytea[];
    v_hashes   bytea[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg((d ->> 'tenant_id')::uuid), array_agg(d ->> v_id_col),
               array_agg(NULL::jsonb), array_agg(d)
          INTO v_tenants, v_ids, v_befores, v_afters
          FROM (SELECT to_jsonb(n) - c_secret AS d FROM new_rows n) x;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg((d ->> 'tenant_id')::uuid), array_agg(d ->> v_id_col),
               array_agg(d), array_agg(NULL::jsonb)
          INTO v_tenants, v_ids, v_befores, v_afters
          FROM (SELECT to_jsonb(o) - c_secret AS d FROM old_rows o) x;
    ELSE
        SELECT array_agg((n.d ->> 'tenant_id')::uuid ORDER BY n.ord),
               array_agg(n.d ->> v_id_col ORDER BY n.ord),
               array_agg(o.d ORDER BY n.ord), array_agg(n.d ORDER BY n.ord)
          INTO v_tenants, v_ids, v_befores, v_afters
          FROM (SELECT to_jsonb(x) - c_secret AS d, row_number() OVER () AS ord
                  FROM new_rows x) n
          JOIN (SELECT to_jsonb(x) - c_secret AS d FROM old_rows x) o
            ON o.d ->> 'tenant_id' = n.d ->> 'tenant_id'
           AND o.d ->> v_id_col = n.d ->> v_id_col;
    END IF;
    IF v_tenants IS NULL THEN
        RETURN NULL;
    END IF;

    FOR v_tenant IN SELECT DISTINCT t FROM unnest(v_tenants) t LOOP
        SELECT h.seq, h.hash INTO v_seq, v_prev
          FROM activity_heads h WHERE h.tenant_id = v_tenant FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO activity_heads (tenant_id, seq, hash)
                VALUES (v_tenant, 0, decode(repeat('00', 32), 'hex'))
                ON CONFLICT (tenant_id) DO NOTHING;
            SELECT h.seq, h.hash INTO STRICT v_seq, v_prev
              FROM activity_heads h WHERE h.tenant_id = v_tenant FOR UPDATE;
        END IF;

        -- The canonical texts of this tenant's rows, numbered from the head.
        SELECT array_agg(convert_to(activity_canonical(
                   v_tenant, v_seq + u.n, v_at, v_actor, v_request, v_action,
                   TG_TABLE_NAME, u.id, u.b, u.a), 'UTF8') ORDER BY u.n)
          INTO v_texts
          FROM (SELECT row_number() OVER (ORDER BY k) AS n, id, b, a
                  FROM unnest(v_tenants, v_ids, v_befores, v_afters)
                       WITH ORDINALITY AS r(t, id, b, a, k)
                 WHERE r.t = v_tenant) u;

        -- The chain itself is sequential.
        v_prevs := '{}';
        v_hashes := '{}';
        FOREACH v_text IN ARRAY v_texts LOOP
            v_prevs := v_prevs || v_prev;
            v_prev := sha256(v_prev || v_text);
            v_hashes := v_hashes || v_prev;
        END LOOP;

        INSERT INTO activity_log (tenant_id, seq, occurred_at, actor_id, request_id,
                                  action, entity, entity_id, before, after,
                                  prev_hash, hash)
        SELECT v_tenant, v_seq + u.n, v_at, v_actor, v_request, v_action,
               TG_TABLE_NAME, u.id, u.b, u.a, h.p, h.h
          FROM (SELECT row_number() OVER (ORDER BY k) AS n, id, b, a
                  FROM unnest(v_tenants, v_ids, v_befores, v_afters)
                       WITH ORDINALITY AS r(t, id, b, a, k)
                 WHERE r.t = v_tenant) u
          JOIN unnest(v_prevs, v_hashes) WITH ORDINALITY AS h(p, h, n) ON h.n = u.n;

        UPDATE activity_heads SET seq = v_seq + cardinality(v_hashes), hash = v_prev
         WHERE tenant_id = v_tenant;
    END LOOP;
    RETURN NULL;
END
$$;

-- Assets switch to it: one trigger per event, since a trigger with
-- transition tables fires for one event only.
DROP TRIGGER activity_record ON assets;
CREATE TRIGGER activity_record_insert AFTER INSERT ON assets
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION activity_record_rows();
CREATE TRIGGER activity_record_update AFTER UPDATE ON assets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION activity_record_rows();
CREATE TRIGGER activity_record_delete AFTER DELETE ON assets
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION activity_record_rows();
