-- report(sql): run sql and show everything a client sees of the error it
-- fails with: SQLSTATE, message, detail, hint, and whether any of it holds
-- Rust panic or backtrace text (it never may).
CREATE FUNCTION report(sql text)
RETURNS TABLE (sqlstate text, message text, detail text, hint text, rust_text boolean)
LANGUAGE plpgsql AS $f$
DECLARE
    s text; m text; d text; h text; c text;
BEGIN
    EXECUTE sql;
    RETURN QUERY SELECT 'none'::text, 'no error'::text, NULL::text, NULL::text, false;
EXCEPTION WHEN OTHERS OR query_canceled THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL,
                            h = PG_EXCEPTION_HINT, c = PG_EXCEPTION_CONTEXT;
    RETURN QUERY SELECT s, m, nullif(d, ''), nullif(h, ''),
        concat_ws(' ', m, d, h, c) ~* '(panic|backtrace|\.rs:|rust|stack backtrace|   [0-9]+: )';
END
$f$;
