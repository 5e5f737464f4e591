-- zync, version 2: what a second release of an application's schema does
-- to what version 1 has (applied to tests/corpus/zync.sql).
-- storage: a table's fillfactor changes, another's goes, an unlogged table
-- becomes logged
ALTER TABLE public.que_jobs SET (fillfactor = 80);
ALTER TABLE public.que_values RESET (fillfactor);
ALTER TABLE public.que_lockers SET LOGGED;
-- a function body changes (the CHECK that calls it stays)
CREATE OR REPLACE FUNCTION public.que_validate_tags(tags_array jsonb) RETURNS boolean
    LANGUAGE sql
    AS $$
  SELECT coalesce(bool_and(
    jsonb_typeof(value) = 'string'
    AND
    char_length(value::text) <= 200
  ), true)
  FROM jsonb_array_elements(tags_array)
$$;
-- a column, an index with a storage parameter, a view over two tables
ALTER TABLE public.tenants ADD COLUMN name text;
CREATE INDEX index_tenants_on_name ON public.tenants USING btree (name) WITH (fillfactor = 70);
CREATE VIEW public.tenant_services AS
    SELECT t.id AS tenant_id, t.name, s.id AS service_id
      FROM public.tenants t JOIN public.services s ON s.tenant_id = t.id;
-- a trigger function and a trigger keeping updated_at
CREATE FUNCTION public.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
CREATE TRIGGER services_touch BEFORE UPDATE ON public.services
    FOR EACH ROW EXECUTE FUNCTION public.touch_updated_at();
