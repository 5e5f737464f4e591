-- A second version of Pagila (tests/corpus/pagila.sql), as changes a
-- developer would make to it: tests/corpus.sh loads pagila.sql and these
-- statements into a scratch database, and its pg_dump -s is the desired
-- schema of version 2. Each change exercises a kind of object.

-- an enum value added
ALTER TYPE public.mpaa_rating ADD VALUE 'NR' AFTER 'NC-17';
-- a sequence restarted at another value
ALTER SEQUENCE public.payment_payment_id_seq START WITH 1000 RESTART;
-- a domain's check widened, and a default for it
ALTER DOMAIN public.year DROP CONSTRAINT year_check;
ALTER DOMAIN public.year ADD CONSTRAINT year_check CHECK (VALUE >= 1888 AND VALUE <= 2155);
ALTER DOMAIN public.year SET DEFAULT 2006;
-- columns: one added, one retyped (used by views, which are rebuilt around
-- the change), one dropped
ALTER TABLE public.customer ADD COLUMN loyalty_points integer DEFAULT 0 NOT NULL;
DO $$
DECLARE
    -- the views that use the column, which PostgreSQL will not retype
    -- under them: dropped and created again around the change
    views text[] := ARRAY(SELECT format('CREATE VIEW %s AS %s', c.oid::regclass, pg_get_viewdef(c.oid))
                            FROM pg_class c
                           WHERE c.oid IN ('public.film_list'::regclass, 'public.nicer_but_slower_film_list'::regclass)
                           ORDER BY c.relname);
    v text;
BEGIN
    DROP VIEW public.film_list, public.nicer_but_slower_film_list;
    ALTER TABLE public.film ALTER COLUMN rental_rate TYPE numeric(5,2);
    FOREACH v IN ARRAY views LOOP
        EXECUTE v;
    END LOOP;
END
$$;
ALTER TABLE public.staff DROP COLUMN picture;
COMMENT ON COLUMN public.customer.loyalty_points IS 'one point per rental';
-- a function body changed (same signature: replaced in place)
CREATE OR REPLACE FUNCTION public.last_day(timestamp with time zone) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT
    AS $_$
  SELECT (date_trunc('month', $1) + interval '1 month' - interval '1 day')::date
$_$;
COMMENT ON FUNCTION public.last_day(timestamp with time zone) IS 'the last day of the month of a moment';
-- a new function and a trigger that uses it
CREATE FUNCTION public.rental_returned() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.return_date IS NOT NULL AND NEW.return_date < NEW.rental_date THEN
        RAISE EXCEPTION 'a rental cannot be returned before it starts';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER rental_returned BEFORE INSERT OR UPDATE OF return_date ON public.rental
    FOR EACH ROW EXECUTE FUNCTION public.rental_returned();
-- a view changed (same columns: replaced in place), and one with a new
-- column (dropped and created again)
CREATE OR REPLACE VIEW public.sales_by_store AS
 SELECT ((c.city || ','::text) || cy.country) AS store,
    ((m.first_name || ' '::text) || m.last_name) AS manager,
    sum(p.amount) AS total_sales
   FROM (((((((public.payment p
     JOIN public.rental r ON ((p.rental_id = r.rental_id)))
     JOIN public.inventory i ON ((r.inventory_id = i.inventory_id)))
     JOIN public.store s ON ((i.store_id = s.store_id)))
     JOIN public.address a ON ((s.address_id = a.address_id)))
     JOIN public.city c ON ((a.city_id = c.city_id)))
     JOIN public.country cy ON ((c.country_id = cy.country_id)))
     JOIN public.staff m ON ((s.manager_staff_id = m.staff_id)))
  WHERE p.amount > 0
  GROUP BY cy.country, c.city, s.store_id, m.first_name, m.last_name
  ORDER BY cy.country, c.city;
DROP VIEW public.staff_list;
CREATE VIEW public.staff_list AS
 SELECT s.staff_id AS id,
    ((s.first_name || ' '::text) || s.last_name) AS name,
    a.address,
    a.postal_code AS "zip code",
    a.phone,
    city.city,
    country.country,
    s.store_id AS sid,
    s.email
   FROM (((public.staff s
     JOIN public.address a ON ((s.address_id = a.address_id)))
     JOIN public.city ON ((a.city_id = city.city_id)))
     JOIN public.country ON ((city.country_id = country.country_id)));
COMMENT ON VIEW public.staff_list IS 'staff with their addresses';
-- a partition added
CREATE TABLE public.payment_p2026_08 PARTITION OF public.payment
    FOR VALUES FROM ('2026-08-01 00:00:00+00') TO ('2026-09-01 00:00:00+00');
