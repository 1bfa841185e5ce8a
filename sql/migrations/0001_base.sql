-- 0001_base: the foundation every later migration builds on.
--
-- Owns: schema privileges, the tenant-context helpers (app_*), the row
-- stamping trigger, tenants, users, memberships, the hash-chained activity
-- log (activity_log, activity_heads, activity_append, activity_verify) and
-- the tenant_table_setup procedure that later migrations call for every
-- tenant-owned table.
--
-- Runs as isms_owner inside one transaction (the migration runner adds it).
--
-- Who sees what:
--   * isms_app (the services) only ever sees rows of the tenant named in
--     app.tenant_id; row-level security is enabled AND forced everywhere, so
--     the owner is held to the same policies unless a policy names it.
--   * A few global operations (resolving a tenant by slug before login,
--     appending to and verifying the activity chain) run inside SECURITY
--     DEFINER functions owned by isms_owner. The tables they touch carry an
--     extra policy "TO isms_owner USING (true)". Inside such a function
--     current_user is isms_owner, so the policy applies; a plain query from
--     the services runs as isms_app, to whom the policy does not apply at
--     all (isms_app is not a member of isms_owner). A role-targeted policy
--     is preferred over "OR current_user = 'isms_owner'" in the tenant
--     policy: it is never even attached to isms_app's queries, so their
--     plans keep a plain tenant_id = app_tenant_id() qual. The owner can
--     always switch RLS off for its own tables, so the extra policy gives
--     it nothing it did not have; it only keeps the CLI from tripping over
--     its own safety net.
--   * Ordinary tenant tables (memberships, assets, ...) get no owner policy:
--     the CLI sets app.tenant_id like the services do.

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO isms_app;

-- Functions are executable by PUBLIC unless told otherwise; every function
-- made by isms_owner from here on must be granted explicitly instead.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Tenant context. The services set these per transaction with
-- set_config(name, value, true). Plain SQL and no SET clause, so the planner
-- can inline them into policies and compare against an index as a constant.

CREATE FUNCTION app_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE FUNCTION app_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

CREATE FUNCTION app_role() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.role', true), '') $$;

CREATE FUNCTION app_request_id() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.request_id', true), '') $$;

-- Policies are evaluated with the querying role's privileges.
GRANT EXECUTE ON FUNCTION app_tenant_id(), app_user_id(), app_role(),
    app_request_id() TO isms_app;

-- ---------------------------------------------------------------------------
-- Row stamping: created_*/updated_*/version are the database's to keep, so a
-- handler cannot forget them or forge them, and If-Match can rely on version.

CREATE FUNCTION row_stamp() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_old jsonb;
    v_new jsonb;
    v_col text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.created_at := coalesce(NEW.created_at, now());
        NEW.updated_at := coalesce(NEW.updated_at, NEW.created_at);
        NEW.created_by := coalesce(NEW.created_by, app_user_id());
        NEW.updated_by := coalesce(NEW.updated_by, NEW.created_by);
        NEW.version := 1;
        RETURN NEW;
    END IF;

    -- Through jsonb so one function serves tables with and without
    -- tenant_id/id (tenants, users, memberships).
    v_old := to_jsonb(OLD);
    v_new := to_jsonb(NEW);
    FOREACH v_col IN ARRAY ARRAY['tenant_id', 'id', 'created_at', 'created_by'] LOOP
        IF v_new -> v_col IS DISTINCT FROM v_old -> v_col THEN
            RAISE EXCEPTION 'column "%" of table "%" cannot be changed', v_col, TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END LOOP;

    NEW.updated_at := now();
    NEW.updated_by := coalesce(app_user_id(), NEW.updated_by);
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;

-- ---------------------------------------------------------------------------
-- Tenants.

CREATE TABLE tenants (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- A slug must never look like a uuid: tenant_lookup() takes either.
    slug        text NOT NULL UNIQUE
                CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'
                       AND slug !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    settings    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid,
    updated_by  uuid,
    version     integer NOT NULL DEFAULT 1 CHECK (version > 0)
);

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;

-- The CLI creates a tenant after set_config('app.tenant_id', <new id>, true),
-- so the same expression covers INSERT.
CREATE POLICY tenant_self ON tenants
    USING (id = app_tenant_id())
    WITH CHECK (id = app_tenant_id());

CREATE POLICY owner_all ON tenants TO isms_owner
    USING (true)
    WITH CHECK (true);

GRANT SELECT ON tenants TO isms_app;
GRANT UPDATE (name, settings) ON tenants TO isms_app;

CREATE TRIGGER row_stamp BEFORE INSERT OR UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION row_stamp();

-- Login has to find a tenant before there is a context to set.
CREATE FUNCTION tenant_lookup(p_ref text)
    RETURNS TABLE (id uuid, slug text, name text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF p_ref ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN QUERY SELECT t.id, t.slug, t.name FROM tenants t WHERE t.id = p_ref::uuid;
    ELSE
        RETURN QUERY SELECT t.id, t.slug, t.name FROM tenants t WHERE t.slug = lower(p_ref);
    END IF;
END
$$;

GRANT EXECUTE ON FUNCTION tenant_lookup(text) TO isms_app;

-- ---------------------------------------------------------------------------
-- Users are global identities (one auditor, many tenants), hence no
-- tenant_id and no RLS; what a user may do in a tenant is in memberships.

CREATE TABLE users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email          text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 320 AND email LIKE '%_@_%'),
    display_name   text CHECK (char_length(display_name) <= 200),
    password_hash  text,
    disabled_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    created_by     uuid,
    updated_by     uuid,
    version        integer NOT NULL DEFAULT 1 CHECK (version > 0)
);

CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TRIGGER row_stamp BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION row_stamp();

GRANT SELECT (id, email, display_name, disabled_at, password_hash) ON users TO isms_app;
GRANT INSERT, UPDATE ON users TO isms_app;

-- ---------------------------------------------------------------------------
-- Activity log: append-only, hash-chained per tenant. Each row's hash covers
-- the previous row's hash and the row's canonical text, so editing,
-- removing or reordering a row breaks the chain from that row on.
-- activity_heads holds each tenant's last (seq, hash); appending locks only
-- that one row, so tenants never wait for each other.

CREATE TABLE activity_log (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    seq          bigint NOT NULL CHECK (seq > 0),
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    occurred_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id     uuid,
    request_id   text,
    action       text NOT NULL
                 CHECK (action IN ('create', 'update', 'delete', 'read', 'login', 'logout')),
    entity       text NOT NULL,
    entity_id    text,
    before       jsonb,
    after        jsonb,
    prev_hash    bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash         bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (tenant_id, seq)
);

-- "History of this record" is the question auditors ask most.
CREATE INDEX activity_log_entity_idx ON activity_log (tenant_id, entity, entity_id, seq);

CREATE TABLE activity_heads (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id),
    seq        bigint NOT NULL CHECK (seq >= 0),
    hash       bytea NOT NULL CHECK (length(hash) = 32)
);

ALTER TABLE activity_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE activity_log FORCE ROW LEVEL SECURITY;
ALTER TABLE activity_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE activity_heads FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON activity_log FOR SELECT
    USING (tenant_id = app_tenant_id());
CREATE POLICY owner_all ON activity_log TO isms_owner
    USING (true)
    WITH CHECK (true);
CREATE POLICY owner_all ON activity_heads TO isms_owner
    USING (true)
    WITH CHECK (true);

-- Read-only for the services; rows arrive only through activity_append*.
GRANT SELECT ON activity_log TO isms_app;

-- Privileges already keep isms_app out; this also stops a bug in an owner
-- function or a careless operator. Removing a tenant's history is a
-- deliberate act: ALTER TABLE activity_log DISABLE TRIGGER in that
-- transaction.
CREATE FUNCTION activity_log_append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RAISE EXCEPTION 'activity_log is append-only (% refused)', TG_OP;
END
$$;

CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON activity_log
    FOR EACH ROW EXECUTE FUNCTION activity_log_append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON activity_log
    FOR EACH STATEMENT EXECUTE FUNCTION activity_log_append_only();

-- The one definition of what a row's hash covers; append and verify both
-- call it. Fields are joined by the unit separator (chr(31)); NULLs become
-- empty strings so every field keeps its position. jsonb text output is
-- normalised (sorted keys, no insignificant space), so it is stable.
CREATE FUNCTION activity_canonical(
        p_tenant uuid, p_seq bigint, p_occurred_at timestamptz, p_actor uuid,
        p_request_id text, p_action text, p_entity text, p_entity_id text,
        p_before jsonb, p_after jsonb)
    RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT concat_ws(chr(31),
        p_tenant::text,
        p_seq::text,
        to_char(p_occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        coalesce(p_actor::text, ''),
        coalesce(p_request_id, ''),
        p_action,
        p_entity,
        coalesce(p_entity_id, ''),
        coalesce(p_before::text, ''),
        coalesce(p_after::text, ''))
$$;

-- Internal: appends to the chain of an explicit tenant. Not granted to
-- isms_app, which could otherwise write into another tenant's log.
CREATE FUNCTION activity_append_for(
        p_tenant uuid, p_action text, p_entity text, p_entity_id text,
        p_before jsonb, p_after jsonb)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_actor    uuid := app_user_id();
    v_request  text := app_request_id();
    v_seq      bigint;
    v_prev     bytea;
    v_at       timestamptz;
    v_hash     bytea;
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION 'activity_append: no tenant'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;

    SELECT h.seq, h.hash INTO v_seq, v_prev
      FROM activity_heads h WHERE h.tenant_id = p_tenant FOR UPDATE;
    IF NOT FOUND THEN
        -- First entry of this tenant: the genesis head is seq 0 with 32 zero
        -- bytes. A concurrent first append waits on the insert, then reads
        -- and locks the winner's row.
        INSERT INTO activity_heads (tenant_id, seq, hash)
            VALUES (p_tenant, 0, decode(repeat('00', 32), 'hex'))
            ON CONFLICT (tenant_id) DO NOTHING;
        SELECT h.seq, h.hash INTO STRICT v_seq, v_prev
          FROM activity_heads h WHERE h.tenant_id = p_tenant FOR UPDATE;
    END IF;

    v_seq := v_seq + 1;
    -- Taken under the head lock, so occurred_at never runs backwards
    -- within a tenant's chain.
    v_at := clock_timestamp();
    v_hash := sha256(v_prev || convert_to(activity_canonical(
        p_tenant, v_seq, v_at, v_actor, v_request, p_action, p_entity,
        p_entity_id, p_before, p_after), 'UTF8'));

    INSERT INTO activity_log (tenant_id, seq, occurred_at, actor_id, request_id,
                              action, entity, entity_id, before, after,
                              prev_hash, hash)
        VALUES (p_tenant, v_seq, v_at, v_actor, v_request,
                p_action, p_entity, p_entity_id, p_before, p_after,
                v_prev, v_hash);

    UPDATE activity_heads SET seq = v_seq, hash = v_hash WHERE tenant_id = p_tenant;
    RETURN v_seq;
END
$$;

-- For the services: events that are not row changes (login, logout, reads
-- of sensitive records), always into the context tenant's chain.
CREATE FUNCTION activity_append(
        p_action text, p_entity text, p_entity_id text,
        p_before jsonb, p_after jsonb)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_tenant uuid := app_tenant_id();
BEGIN
    IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'activity_append: app.tenant_id is not set'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN activity_append_for(v_tenant, p_action, p_entity, p_entity_id, p_before, p_after);
END
$$;

GRANT EXECUTE ON FUNCTION activity_append(text, text, text, jsonb, jsonb) TO isms_app;

-- Row changes, in the same transaction as the change. The tenant comes from
-- the row, not the setting: RLS already ties the two together for the
-- services, and owner maintenance without a context still lands in the
-- right chain. Secrets never enter the log.
-- Arguments: TG_ARGV[0] = column holding the entity id (default id),
--            TG_ARGV[1] = column holding the tenant id (default tenant_id).
CREATE FUNCTION activity_record() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    c_secret   CONSTANT text[] := ARRAY['password_hash', 'secret_hash', 'token_hash', 'content'];
    v_id_col   text := coalesce(TG_ARGV[0], 'id');
    v_ten_col  text := coalesce(TG_ARGV[1], 'tenant_id');
    v_before   jsonb;
    v_after    jsonb;
    v_row      jsonb;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        v_before := to_jsonb(OLD) - c_secret;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        v_after := to_jsonb(NEW) - c_secret;
    END IF;
    v_row := coalesce(v_after, v_before);

    PERFORM activity_append_for(
        (v_row ->> v_ten_col)::uuid,
        CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
        TG_TABLE_NAME,
        v_row ->> v_id_col,
        v_before,
        v_after);
    RETURN NULL;
END
$$;

-- A tenant's own chain starts with its creation. No DELETE: the chain and
-- head reference the tenant, so removing a tenant is an operator procedure
-- that removes its history first.
CREATE TRIGGER activity_record AFTER INSERT OR UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION activity_record('id', 'id');

-- Recomputes the context tenant's chain from the genesis in one statement
-- (one snapshot, so a concurrent append cannot look like damage).
-- first_broken_seq is the first seq that is missing, out of place, or whose
-- prev_hash/hash does not match; rows below it are intact, so checked is
-- first_broken_seq - 1 (or all rows when ok). The head must match the last
-- row too, which catches a removed tail.
CREATE FUNCTION activity_verify()
    RETURNS TABLE (ok boolean, checked bigint, first_broken_seq bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_tenant     uuid := app_tenant_id();
    v_count      bigint;
    v_broken     bigint;
    v_last_seq   bigint;
    v_last_hash  bytea;
    v_head_seq   bigint;
    v_head_hash  bytea;
BEGIN
    IF v_tenant IS NULL THEN
        RAISE EXCEPTION 'activity_verify: app.tenant_id is not set'
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    WITH chain AS (
        SELECT l.seq,
               lag(l.seq, 1, 0::bigint) OVER w AS prev_seq,
               l.prev_hash IS DISTINCT FROM
                   lag(l.hash, 1, decode(repeat('00', 32), 'hex')) OVER w
               OR l.hash IS DISTINCT FROM sha256(l.prev_hash || convert_to(
                   activity_canonical(l.tenant_id, l.seq, l.occurred_at, l.actor_id,
                                      l.request_id, l.action, l.entity, l.entity_id,
                                      l.before, l.after), 'UTF8')) AS bad
          FROM activity_log l
         WHERE l.tenant_id = v_tenant
        WINDOW w AS (ORDER BY l.seq)
    )
    SELECT c.n, c.broken, c.last_seq,
           (SELECT l.hash FROM activity_log l
             WHERE l.tenant_id = v_tenant AND l.seq = c.last_seq),
           h.seq, h.hash
      INTO v_count, v_broken, v_last_seq, v_last_hash, v_head_seq, v_head_hash
      FROM (SELECT count(*) AS n,
                   max(seq) AS last_seq,
                   min(CASE WHEN seq <> prev_seq + 1 THEN prev_seq + 1
                            WHEN bad THEN seq END) AS broken
              FROM chain) c
      LEFT JOIN activity_heads h ON h.tenant_id = v_tenant;

    v_last_seq := coalesce(v_last_seq, 0);
    v_head_seq := coalesce(v_head_seq, 0);
    IF v_broken IS NULL THEN
        IF v_head_seq <> v_last_seq THEN
            v_broken := least(v_head_seq, v_last_seq) + 1;
        ELSIF v_last_seq > 0 AND v_head_hash IS DISTINCT FROM v_last_hash THEN
            v_broken := v_last_seq;
        END IF;
    END IF;

    ok := v_broken IS NULL;
    checked := CASE WHEN ok THEN v_count ELSE v_broken - 1 END;
    first_broken_seq := v_broken;
    RETURN NEXT;
END
$$;

GRANT EXECUTE ON FUNCTION activity_verify() TO isms_app;

-- ---------------------------------------------------------------------------
-- The one place a tenant table's isolation is written. Every migration that
-- adds a tenant-owned table calls tenant_table_setup (or tenant_rls_setup
-- for bookkeeping tables without stamps or history); grants stay in the
-- migration, next to the table.

CREATE PROCEDURE tenant_rls_setup(p_table regclass)
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = p_table AND a.attname = 'tenant_id'
                      AND a.atttypid = 'uuid'::regtype AND a.attnotnull
                      AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'tenant_rls_setup: % has no "tenant_id uuid NOT NULL" column', p_table;
    END IF;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_table);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p_table);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s'
                   ' USING (tenant_id = app_tenant_id())'
                   ' WITH CHECK (tenant_id = app_tenant_id())', p_table);
END
$$;

-- p_id_column names the column recorded as the activity entity_id.
CREATE PROCEDURE tenant_table_setup(p_table regclass, p_id_column text DEFAULT 'id')
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    CALL tenant_rls_setup(p_table);
    EXECUTE format('CREATE TRIGGER row_stamp BEFORE INSERT OR UPDATE ON %s'
                   ' FOR EACH ROW EXECUTE FUNCTION row_stamp()', p_table);
    EXECUTE format('CREATE TRIGGER activity_record AFTER INSERT OR UPDATE OR DELETE ON %s'
                   ' FOR EACH ROW EXECUTE FUNCTION activity_record(%L)', p_table, p_id_column);
END
$$;

-- ---------------------------------------------------------------------------
-- Memberships: a user's role in a tenant. An auditor's access is always
-- bounded in time (the engagement window).

CREATE TABLE memberships (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    user_id      uuid NOT NULL REFERENCES users (id),
    role         text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer', 'auditor')),
    valid_from   timestamptz,
    valid_until  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid,
    updated_by   uuid,
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, user_id),
    CHECK (role <> 'auditor'
           OR (valid_from IS NOT NULL AND valid_until IS NOT NULL AND valid_until > valid_from)),
    CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_until > valid_from)
);

-- Login lists a user's tenants.
CREATE INDEX memberships_user_idx ON memberships (user_id);

CALL tenant_table_setup('memberships', 'user_id');

-- Login knows the user but not yet the tenant: it sets only app.user_id and
-- may then read that user's memberships everywhere, and nothing else.
CREATE POLICY own_memberships ON memberships FOR SELECT
    USING (user_id = app_user_id() AND app_tenant_id() IS NULL);

GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO isms_app;
