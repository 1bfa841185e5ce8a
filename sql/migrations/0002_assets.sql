-- 0002_assets: the asset inventory (ISO/IEC 27001 A.5.9) and the store
-- behind the Idempotency-Key header that every service's POST honours.
--
-- Isolation, stamping and history come from tenant_table_setup /
-- tenant_rls_setup (0001); nothing here writes a policy by hand.

CREATE TABLE assets (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description  text,
    type         text NOT NULL
                 CHECK (type IN ('information', 'software', 'hardware', 'service',
                                 'people', 'site', 'supplier')),
    archived_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid,
    updated_by   uuid,
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, id)
);

-- Keyset paging: WHERE (created_at, id) > ($cursor) ORDER BY created_at, id.
CREATE INDEX assets_page_idx ON assets (tenant_id, created_at, id);

CALL tenant_table_setup('assets');

GRANT SELECT, INSERT, UPDATE, DELETE ON assets TO isms_app;

-- A retried POST with the same key returns the first response instead of
-- creating a duplicate. request_hash lets the service tell a true retry from
-- a different request reusing the key (422); status stays NULL while the
-- first request is still in flight. Bookkeeping, not ISMS data: no stamps,
-- no activity history.
CREATE TABLE idempotency_keys (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    key           text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    method        text NOT NULL,
    path          text NOT NULL,
    request_hash  bytea NOT NULL,
    status        integer CHECK (status BETWEEN 100 AND 599),
    response      jsonb,
    location      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);

-- Expiry sweeps delete by age.
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (tenant_id, created_at);

CALL tenant_rls_setup('idempotency_keys');

GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO isms_app;
