-- The schema of the psql meta-command goldens (TestPsqlMeta): the catalog
-- goldens' schema (pgsql/catalog/testdata/schema.sql) without what RepliSQL
-- refuses (a time column; a DEFERRABLE unique constraint), and the orders
-- table below. (orders.placed is timestamptz DEFAULT now(): a timestamp
-- column with DEFAULT CURRENT_TIMESTAMP is refused too.)
CREATE TABLE pgbench_branches(bid int not null, bbalance int, filler char(88), PRIMARY KEY (bid));
CREATE TABLE pgbench_tellers(tid int not null, bid int REFERENCES pgbench_branches(bid), tbalance int, filler char(84), PRIMARY KEY (tid));
CREATE TABLE pgbench_accounts(aid int not null, bid int, abalance int, CHECK (bid > 0), filler char(84), PRIMARY KEY (aid)) WITH (fillfactor=100);
CREATE TABLE pgbench_history(hid serial, tid int, bid int, aid int, delta int, mtime timestamp, filler char(22));
CREATE INDEX pgbench_history_aid_idx ON pgbench_history (aid);
CREATE TABLE items(id bigserial PRIMARY KEY, name varchar(40) NOT NULL UNIQUE, price numeric(10,2) DEFAULT 0, created timestamptz DEFAULT now(), tags text, data jsonb, flag boolean DEFAULT false, uid uuid, payload bytea, d date, r real, f double precision, s smallint, code char(3) DEFAULT 'abc', note varchar, ts timestamp(3), amount numeric, j json, i8 bigint NOT NULL DEFAULT 42);
CREATE UNIQUE INDEX items_lower_name ON items (d, s);
COMMENT ON TABLE pgbench_accounts IS 'bank accounts';
COMMENT ON COLUMN pgbench_accounts.abalance IS 'balance';
CREATE TABLE idt(id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code text CONSTRAINT idt_code_uniq UNIQUE, acc int REFERENCES pgbench_accounts ON DELETE CASCADE, CONSTRAINT idt_v CHECK (code <> ''));
CREATE TABLE orders(id serial PRIMARY KEY, item bigint NOT NULL REFERENCES items(id), qty integer NOT NULL DEFAULT 1 CHECK (qty > 0), ref varchar(12) NOT NULL, state char(1) NOT NULL DEFAULT 'n', placed timestamptz NOT NULL DEFAULT now(), shipped date, total numeric(12,2), UNIQUE (ref, state));
CREATE INDEX orders_item_placed ON orders (item, placed);
