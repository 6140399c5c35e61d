-- A status lookup reads the whole family: with every column it needs in one index ordered by
-- KK, the family comes from a single index range instead of one table lookup per member.
CREATE INDEX residents_by_kk_cover ON residents (kk, nik, name, relation, sex, pregnant, nursing);
DROP INDEX residents_by_kk;
