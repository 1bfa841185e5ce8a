-- 0003_identity: sessions (rotating refresh tokens), revoked access tokens,
-- API keys, login throttling, the last-admin rule, and app_begin(): the
-- per-request check that the caller's membership or key is still valid.

-- ---------------------------------------------------------------------------
-- Sessions. A login starts a family; each refresh rotates the token within
-- it. Presenting a token that was already rotated means it was copied:
-- the whole family is revoked. Only SHA-256 hashes of tokens are stored.

CREATE TABLE refresh_tokens (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    family_id          uuid NOT NULL,
    user_id            uuid NOT NULL,
    token_hash         bytea NOT NULL UNIQUE,
    expires_at         timestamptz NOT NULL,
    family_expires_at  timestamptz NOT NULL,
    rotated_at         timestamptz,
    revoked_at         timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id)
        ON DELETE CASCADE
);

CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (tenant_id, family_id);

CALL tenant_rls_setup('refresh_tokens');
GRANT SELECT, INSERT, UPDATE, DELETE ON refresh_tokens TO isms_app;

-- Access tokens revoked before their expiry (logout). Rows are useless after
-- expires_at; a sweep may delete them.
CREATE TABLE revoked_tokens (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    jti         text NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, jti)
);

CALL tenant_rls_setup('revoked_tokens');
GRANT SELECT, INSERT, DELETE ON revoked_tokens TO isms_app;

-- ---------------------------------------------------------------------------
-- API keys for integrators: bound to a tenant and a role (never auditor,
-- whose access needs an engagement window), optionally expiring. The
-- secret is 256 random bits, so SHA-256 is the right hash for it.

CREATE TABLE api_keys (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    role         text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    secret_hash  bytea NOT NULL,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid,
    updated_by   uuid,
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX api_keys_page_idx ON api_keys (tenant_id, created_at, id);

CALL tenant_table_setup('api_keys');
GRANT SELECT, INSERT, UPDATE ON api_keys TO isms_app;

-- ---------------------------------------------------------------------------
-- Login throttling, per account ("u:<email>") and per client address
-- ("a:<address>"). After `limit` failures in 15 minutes the subject is
-- locked for 30 s, doubling with each further failure up to 15 minutes.
-- Global, like users: it exists before any tenant is known.

CREATE TABLE login_throttle (
    subject       text PRIMARY KEY CHECK (char_length(subject) <= 400),
    failures      integer NOT NULL,
    window_start  timestamptz NOT NULL,
    locked_until  timestamptz
);

GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO isms_app;

-- Seconds until every subject may try again (0: go ahead).
CREATE FUNCTION login_throttle_wait(p_subjects text[]) RETURNS integer
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce(max(ceil(extract(epoch FROM locked_until - now())))::integer, 0)
      FROM login_throttle
     WHERE subject = ANY (p_subjects) AND locked_until > now()
$$;

CREATE FUNCTION login_throttle_fail(p_subject text, p_limit integer) RETURNS void
    LANGUAGE sql VOLATILE
    AS $$
    INSERT INTO login_throttle AS t (subject, failures, window_start)
         VALUES (p_subject, 1, now())
    ON CONFLICT (subject) DO UPDATE
        SET failures = CASE WHEN t.window_start < now() - interval '15 minutes'
                            THEN 1 ELSE t.failures + 1 END,
            window_start = CASE WHEN t.window_start < now() - interval '15 minutes'
                                THEN now() ELSE t.window_start END,
            locked_until = CASE
                WHEN t.window_start >= now() - interval '15 minutes'
                     AND t.failures + 1 >= p_limit
                THEN now() + least(interval '15 minutes',
                                   interval '30 seconds' * power(2, least(t.failures + 1 - p_limit, 10)))
                ELSE t.locked_until END
$$;

GRANT EXECUTE ON FUNCTION login_throttle_wait(text[]), login_throttle_fail(text, integer)
    TO isms_app;

-- ---------------------------------------------------------------------------
-- A tenant always keeps an admin. The admin rows are locked first, so two
-- admins demoting each other at once cannot both succeed.

CREATE FUNCTION memberships_keep_an_admin() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF OLD.role = 'admin' AND (TG_OP = 'DELETE' OR NEW.role <> 'admin') THEN
        PERFORM 1 FROM memberships
          WHERE tenant_id = OLD.tenant_id AND role = 'admin' FOR UPDATE;
        IF NOT EXISTS (SELECT 1 FROM memberships
                        WHERE tenant_id = OLD.tenant_id AND role = 'admin'
                          AND user_id <> OLD.user_id) THEN
            RAISE EXCEPTION 'The last admin of a tenant cannot be removed or demoted.'
                USING ERRCODE = 'IS409';
        END IF;
    END IF;
    RETURN coalesce(NEW, OLD);
END
$$;

CREATE TRIGGER keep_an_admin BEFORE UPDATE OF role OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_keep_an_admin();

-- ---------------------------------------------------------------------------
-- The request's context, set at the start of every transaction the
-- services open, and in the same round trip as the first statement. Past
-- the settings, it refuses (SQLSTATE IS401) a caller whose membership was
-- removed, changed role, lies outside its window (auditors) or whose user
-- was disabled; an access token revoked by logout; and an API key that is
-- unknown, revoked, expired, or presented with another role or secret.
-- Routes without a caller (login, refresh) pass empty values.

CREATE FUNCTION app_begin(p_tenant text, p_user text, p_role text,
                          p_request_id text, p_jti text, p_key_hash text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
BEGIN
    PERFORM set_config('app.tenant_id', coalesce(p_tenant, ''), true),
            set_config('app.user_id', coalesce(p_user, ''), true),
            set_config('app.role', coalesce(p_role, ''), true),
            set_config('app.request_id', coalesce(p_request_id, ''), true);
    IF coalesce(p_tenant, '') = '' THEN
        RETURN;
    END IF;
    IF coalesce(p_key_hash, '') <> '' THEN
        IF NOT EXISTS (
            SELECT 1 FROM api_keys k
             WHERE k.tenant_id = p_tenant::uuid AND k.id = p_user::uuid
               AND k.secret_hash = decode(p_key_hash, 'hex')
               AND k.role = p_role AND k.revoked_at IS NULL
               AND (k.expires_at IS NULL OR k.expires_at > now())) THEN
            RAISE EXCEPTION 'The API key is not valid.' USING ERRCODE = 'IS401';
        END IF;
        RETURN;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.tenant_id = p_tenant::uuid AND m.user_id = p_user::uuid
           AND m.role = p_role AND u.disabled_at IS NULL
           AND (m.valid_from IS NULL OR m.valid_from <= now())
           AND (m.valid_until IS NULL OR m.valid_until > now())) THEN
        RAISE EXCEPTION 'The token''s membership is no longer valid; sign in again.'
            USING ERRCODE = 'IS401';
    END IF;
    IF EXISTS (SELECT 1 FROM revoked_tokens r
                WHERE r.tenant_id = p_tenant::uuid AND r.jti = p_jti) THEN
        RAISE EXCEPTION 'The token has been revoked.' USING ERRCODE = 'IS401';
    END IF;
END
$$;

GRANT EXECUTE ON FUNCTION app_begin(text, text, text, text, text, text) TO isms_app;

-- ---------------------------------------------------------------------------
-- Login: the user and every membership it may sign in with. Tenants are
-- read through the owner's policy (SECURITY DEFINER); memberships through
-- the login policy, which needs app.user_id and no tenant. `active` says
-- whether the membership's window is open now.

CREATE FUNCTION auth_login_candidates(p_email text)
    RETURNS TABLE (user_id uuid, password_hash text, tenant_id uuid,
                   tenant_slug text, role text, active boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_user users%ROWTYPE;
BEGIN
    SELECT * INTO v_user FROM users u
     WHERE lower(u.email) = lower(p_email) AND u.disabled_at IS NULL;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM set_config('app.user_id', v_user.id::text, true);
    RETURN QUERY
        SELECT v_user.id, v_user.password_hash, m.tenant_id, t.slug, m.role,
               (m.valid_from IS NULL OR m.valid_from <= now())
               AND (m.valid_until IS NULL OR m.valid_until > now())
          FROM memberships m JOIN tenants t ON t.id = m.tenant_id
         WHERE m.user_id = v_user.id
         ORDER BY t.slug;
    IF NOT FOUND THEN
        -- A user without memberships still costs a password check.
        RETURN QUERY SELECT v_user.id, v_user.password_hash, NULL::uuid,
                            NULL::text, NULL::text, false;
    END IF;
END
$$;

GRANT EXECUTE ON FUNCTION auth_login_candidates(text) TO isms_app;

-- Starts a session after a successful password check: the tenant context,
-- the first refresh token of a new family, the throttle reset, the login
-- record. Returns the family id (the access token's sid).
CREATE FUNCTION auth_session_start(p_tenant uuid, p_user uuid, p_role text,
                                   p_token_hash bytea, p_account text,
                                   p_ttl interval, p_max interval)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_family uuid := gen_random_uuid();
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true),
            set_config('app.user_id', p_user::text, true),
            set_config('app.role', p_role, true);
    INSERT INTO refresh_tokens (tenant_id, family_id, user_id, token_hash,
                                expires_at, family_expires_at)
         VALUES (p_tenant, v_family, p_user, p_token_hash,
                 now() + least(p_ttl, p_max), now() + p_max);
    DELETE FROM login_throttle WHERE subject = p_account;
    PERFORM activity_append('login', 'session', v_family::text, NULL,
                            jsonb_build_object('role', p_role));
    RETURN v_family;
END
$$;

GRANT EXECUTE ON FUNCTION auth_session_start(uuid, uuid, text, bytea, text, interval, interval)
    TO isms_app;

-- Rotates a refresh token. Outcomes: 'ok' (with the caller's current
-- role), 'invalid' (unknown, revoked, expired, or membership gone),
-- 'reused' (already rotated: the family is revoked, and the caller must
-- commit that even though it answers 401).
CREATE FUNCTION auth_refresh(p_tenant uuid, p_token_hash bytea,
                             p_new_hash bytea, p_ttl interval)
    RETURNS TABLE (outcome text, user_id uuid, role text, family_id uuid)
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_tok refresh_tokens%ROWTYPE;
    v_role text;
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    SELECT * INTO v_tok FROM refresh_tokens t
     WHERE t.token_hash = p_token_hash FOR UPDATE;
    IF NOT FOUND OR v_tok.revoked_at IS NOT NULL THEN
        RETURN QUERY SELECT 'invalid', NULL::uuid, NULL::text, NULL::uuid;
        RETURN;
    END IF;
    PERFORM set_config('app.user_id', v_tok.user_id::text, true);
    IF v_tok.rotated_at IS NOT NULL THEN
        UPDATE refresh_tokens SET revoked_at = now()
         WHERE refresh_tokens.tenant_id = p_tenant
           AND refresh_tokens.family_id = v_tok.family_id
           AND revoked_at IS NULL;
        PERFORM activity_append('logout', 'session', v_tok.family_id::text, NULL,
                                jsonb_build_object('reason', 'refresh token reused'));
        RETURN QUERY SELECT 'reused', v_tok.user_id, NULL::text, v_tok.family_id;
        RETURN;
    END IF;
    SELECT m.role INTO v_role FROM memberships m JOIN users u ON u.id = m.user_id
     WHERE m.tenant_id = p_tenant AND m.user_id = v_tok.user_id
       AND u.disabled_at IS NULL
       AND (m.valid_from IS NULL OR m.valid_from <= now())
       AND (m.valid_until IS NULL OR m.valid_until > now());
    IF v_tok.expires_at <= now() OR v_role IS NULL THEN
        RETURN QUERY SELECT 'invalid', NULL::uuid, NULL::text, NULL::uuid;
        RETURN;
    END IF;
    PERFORM set_config('app.role', v_role, true);
    UPDATE refresh_tokens SET rotated_at = now()
     WHERE refresh_tokens.tenant_id = p_tenant AND id = v_tok.id;
    INSERT INTO refresh_tokens (tenant_id, family_id, user_id, token_hash,
                                expires_at, family_expires_at)
         VALUES (p_tenant, v_tok.family_id, v_tok.user_id, p_new_hash,
                 least(now() + p_ttl, v_tok.family_expires_at),
                 v_tok.family_expires_at);
    RETURN QUERY SELECT 'ok', v_tok.user_id, v_role, v_tok.family_id;
END
$$;

GRANT EXECUTE ON FUNCTION auth_refresh(uuid, bytea, bytea, interval) TO isms_app;

-- Logout: the session's family and the access token itself.
CREATE FUNCTION auth_logout(p_family uuid, p_jti text, p_expires timestamptz)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
BEGIN
    UPDATE refresh_tokens SET revoked_at = now()
     WHERE tenant_id = app_tenant_id() AND family_id = p_family
       AND revoked_at IS NULL;
    INSERT INTO revoked_tokens (tenant_id, jti, expires_at)
         VALUES (app_tenant_id(), p_jti, p_expires)
    ON CONFLICT DO NOTHING;
    PERFORM activity_append('logout', 'session', p_family::text, NULL, NULL);
END
$$;

GRANT EXECUTE ON FUNCTION auth_logout(uuid, text, timestamptz) TO isms_app;
