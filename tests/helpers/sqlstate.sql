-- sqlstate(sql): run sql, and show the SQLSTATE and message it fails with
CREATE FUNCTION sqlstate(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$f$;
