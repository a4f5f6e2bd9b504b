create temp table t (i int4, s text, b bytea, f float8, ok bool, ts timestamptz, n numeric);
insert into t values (1, E'a\tb\nc\\d,e"f', '\x00ff', 1.5, true, '2024-01-02 03:04:05.5+00', 1.50),
 (2, '', '\x', 'NaN', false, 'infinity', 'NaN'),
 (NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, E'\\.', null, -0.0, null, null, -0.001),
 (4, E'x\ry\x01z', null, 1e100, null, null, 12345678901234567890.123);
