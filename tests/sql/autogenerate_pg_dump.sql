-- The desired schema may be a `pg_dump -s -n public` file, as is: its
-- settings, the schema's own CREATE SCHEMA, OWNER TO an existing role,
-- GRANT/REVOKE and psql's \restrict/\unrestrict lines are accepted and not
-- run (owners and privileges are not compared). What autogenerate does not
-- compare (sequences no column owns, views, functions...) is listed; when
-- the revision it would store uses such an object and the live schema lacks
-- it, autogenerate refuses instead of storing a revision that cannot run.
CREATE DATABASE autogenerate_pg_dump;
\c autogenerate_pg_dump
CREATE EXTENSION migrate_ext;
\set SHOW_CONTEXT never
CREATE ROLE autogenerate_pg_dump_owner;

-- The dump of a database holding an enum, two tables (one with a serial,
-- one with a default from a sequence of its own), an index, a foreign key,
-- a view, a SQL function, a comment and an owner, written by pg_dump 15
-- (its \restrict key is random; this one is fixed)
SELECT $dump$
--
-- PostgreSQL database dump
--

\restrict storykey0123456789


SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: public; Type: SCHEMA; Schema: -; Owner: pg_database_owner
--

CREATE SCHEMA public;


ALTER SCHEMA public OWNER TO pg_database_owner;

--
-- Name: SCHEMA public; Type: COMMENT; Schema: -; Owner: pg_database_owner
--

COMMENT ON SCHEMA public IS 'standard public schema';


--
-- Name: mood; Type: TYPE; Schema: public; Owner: postgres
--

CREATE TYPE public.mood AS ENUM (
    'sad',
    'ok',
    'happy'
);


ALTER TYPE public.mood OWNER TO postgres;

--
-- Name: open_tickets(integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.open_tickets(p integer) RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT count(*) FROM ticket WHERE person_id = p $$;


ALTER FUNCTION public.open_tickets(p integer) OWNER TO postgres;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: person; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.person (
    id integer NOT NULL,
    name text NOT NULL,
    current_mood public.mood DEFAULT 'ok'::public.mood
);


ALTER TABLE public.person OWNER TO postgres;

--
-- Name: TABLE person; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON TABLE public.person IS 'Who opens tickets';


--
-- Name: happy_people; Type: VIEW; Schema: public; Owner: postgres
--

CREATE VIEW public.happy_people AS
 SELECT person.id,
    person.name
   FROM public.person
  WHERE (person.current_mood = 'happy'::public.mood);


ALTER TABLE public.happy_people OWNER TO postgres;

--
-- Name: person_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE public.person_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.person_id_seq OWNER TO postgres;

--
-- Name: person_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: postgres
--

ALTER SEQUENCE public.person_id_seq OWNED BY public.person.id;


--
-- Name: ticket_no; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE public.ticket_no
    START WITH 1000
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.ticket_no OWNER TO postgres;

--
-- Name: ticket; Type: TABLE; Schema: public; Owner: autogenerate_pg_dump_owner
--

CREATE TABLE public.ticket (
    no integer DEFAULT nextval('public.ticket_no'::regclass) NOT NULL,
    person_id integer,
    opened timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE public.ticket OWNER TO autogenerate_pg_dump_owner;

--
-- Name: person id; Type: DEFAULT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.person ALTER COLUMN id SET DEFAULT nextval('public.person_id_seq'::regclass);


--
-- Name: person person_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.person
    ADD CONSTRAINT person_pkey PRIMARY KEY (id);


--
-- Name: ticket ticket_pkey; Type: CONSTRAINT; Schema: public; Owner: autogenerate_pg_dump_owner
--

ALTER TABLE ONLY public.ticket
    ADD CONSTRAINT ticket_pkey PRIMARY KEY (no);


--
-- Name: ticket_person; Type: INDEX; Schema: public; Owner: autogenerate_pg_dump_owner
--

CREATE INDEX ticket_person ON public.ticket USING btree (person_id);


--
-- Name: ticket ticket_person_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: autogenerate_pg_dump_owner
--

ALTER TABLE ONLY public.ticket
    ADD CONSTRAINT ticket_person_id_fkey FOREIGN KEY (person_id) REFERENCES public.person(id);


--
-- PostgreSQL database dump complete
--

\unrestrict storykey0123456789

$dump$ AS dump \gset

-- What would change: everything, in an order that runs: the enum and the
-- sequence before the tables that use them, the keys after the tables,
-- the function (LANGUAGE sql, whose body names a table) and the view
-- once the tables are there
SELECT migrate.check(:'dump');

SELECT migrate.autogenerate('from the dump', :'dump', id => 'dump1');
SELECT migrate.upgrade('head');
SELECT migrate.check(:'dump');
SELECT migrate.autogenerate('again', :'dump');
INSERT INTO person (name) VALUES ('Ann') RETURNING id;
INSERT INTO ticket (person_id) VALUES (1) RETURNING no, person_id;
-- the owner was not applied: owners are not compared
SELECT tableowner FROM pg_tables WHERE tablename = 'ticket';

-- An owner that does not exist is refused, naming the statement
SELECT migrate.diff(replace(:'dump', 'OWNER TO autogenerate_pg_dump_owner', 'OWNER TO nobody_by_that_name'));
-- and so is another schema's CREATE SCHEMA
SELECT migrate.diff('CREATE SCHEMA elsewhere; CREATE TABLE public.t (id int)');

-- Settings are not run: the session's stay as they were
SELECT migrate.diff($$
    SET client_min_messages = error;
    SELECT pg_catalog.set_config('search_path', 'nowhere', false);
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
    CREATE TABLE person (id serial PRIMARY KEY, name text NOT NULL,
                         current_mood mood DEFAULT 'ok');
    COMMENT ON TABLE person IS 'Who opens tickets';
    CREATE SEQUENCE ticket_no START 1000;
    CREATE TABLE ticket (no integer DEFAULT nextval('ticket_no') NOT NULL PRIMARY KEY,
                         person_id integer REFERENCES person (id),
                         opened timestamptz DEFAULT now() NOT NULL);
    CREATE INDEX ticket_person ON ticket (person_id);
$$);
SHOW client_min_messages;

-- Privileges are not compared: a desired schema's GRANT and REVOKE are not
-- run, and a NOTICE names their lines, so that none is lost unseen
SELECT o->>'op' AS op, o->>'name' AS name FROM jsonb_array_elements(migrate.diff(:'dump' || $$
    CREATE TABLE public.audit (id int);
    GRANT SELECT ON public.audit TO PUBLIC;
    REVOKE USAGE ON SCHEMA public FROM PUBLIC;
$$)) o;

-- Function bodies are not checked while the desired schema is evaluated
-- (as pg_dump's `SET check_function_bodies = false` asks), so a function
-- may come before the table it reads
SELECT migrate.diff(:'dump' || $$
    CREATE FUNCTION public.ticket_count() RETURNS bigint LANGUAGE sql
        AS 'SELECT count(*) FROM public.later';
    CREATE TABLE public.later (id int);
$$);

-- A domain, a sequence and a function that a new column uses are created
-- before it; a sequence's owner column is set once the column is there
SELECT o->>'op' AS op, coalesce(o->>'sql', o->'column'->>'name') AS what
  FROM jsonb_array_elements(migrate.diff(:'dump' || $$
    CREATE DOMAIN public.positive AS integer CHECK (VALUE > 0);
    CREATE SEQUENCE public.priorities;
    CREATE FUNCTION public.next_priority() RETURNS integer LANGUAGE sql AS 'SELECT 1';
    ALTER TABLE public.ticket ADD COLUMN priority public.positive DEFAULT nextval('public.priorities');
    ALTER TABLE public.ticket ADD COLUMN urgency integer DEFAULT public.next_priority();
    ALTER SEQUENCE public.priorities OWNED BY public.ticket.priority;
$$)) AS d(o);

-- Objects that are still not compared (range types, rules, policies...)
-- are refused when a new column uses them: the revision would fail at
-- upgrade
SELECT migrate.autogenerate('range', :'dump' || $$
    CREATE TYPE public.pair AS RANGE (subtype = integer);
    ALTER TABLE public.ticket ADD COLUMN pair public.pair;
$$);

SELECT migrate.downgrade('base');
SELECT count(*) AS tables_left FROM pg_tables WHERE schemaname = 'public';
\c postgres
DROP DATABASE autogenerate_pg_dump;
DROP ROLE autogenerate_pg_dump_owner;
