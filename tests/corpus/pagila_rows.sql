-- A few rows in every Pagila table that tests/corpus.sh follows through an
-- upgrade to pagila_v2 and back (the data of Pagila itself is not needed).
INSERT INTO public.country (country_id, country) VALUES (1, 'Iceland'), (2, 'Peru');
INSERT INTO public.city (city_id, city, country_id) VALUES (1, 'Reykjavik', 1), (2, 'Lima', 2);
INSERT INTO public.address (address_id, address, address2, district, city_id, postal_code, phone)
VALUES (1, '1 Main St', 'back door', 'Center', 1, '101', '555-0101'),
       (2, '2 Plaza', NULL, 'Miraflores', 2, '15074', '555-0102');
INSERT INTO public.language (language_id, name) VALUES (1, 'English'), (2, 'Spanish');
INSERT INTO public.film (film_id, title, description, release_year, language_id, rental_duration, rental_rate,
                         length, replacement_cost, rating, special_features)
VALUES (1, 'ACADEMY DINOSAUR', 'An epic drama', 2006, 1, 6, 0.99, 86, 20.99, 'PG', '{Trailers}'),
       (2, 'ACE GOLDFINGER', 'A thriller', 2006, 2, 3, 4.99, 48, 12.99, 'G', NULL);
INSERT INTO public.actor (actor_id, first_name, last_name) VALUES (1, 'PENELOPE', 'GUINESS'), (2, 'NICK', 'WAHLBERG');
INSERT INTO public.film_actor (actor_id, film_id) VALUES (1, 1), (2, 1), (2, 2);
INSERT INTO public.category (category_id, name) VALUES (1, 'Action'), (2, 'Drama');
INSERT INTO public.film_category (film_id, category_id) VALUES (1, 2), (2, 1);
INSERT INTO public.store (store_id, manager_staff_id, address_id) VALUES (1, 1, 1);
INSERT INTO public.staff (staff_id, first_name, last_name, address_id, email, store_id, username, picture)
VALUES (1, 'Mike', 'Hillyer', 1, 'mike@example.com', 1, 'Mike', NULL);
INSERT INTO public.customer (customer_id, store_id, first_name, last_name, email, address_id, active)
VALUES (1, 1, 'MARY', 'SMITH', 'mary@example.com', 2, 1), (2, 1, 'PATRICIA', 'JOHNSON', NULL, 2, 1);
INSERT INTO public.inventory (inventory_id, film_id, store_id) VALUES (1, 1, 1), (2, 2, 1);
INSERT INTO public.rental (rental_id, rental_date, inventory_id, customer_id, return_date, staff_id)
VALUES (1, '2022-05-24 22:53:30+00', 1, 1, '2022-05-26 22:04:30+00', 1),
       (2, '2023-01-02 10:00:00+00', 2, 2, NULL, 1);
INSERT INTO public.payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date)
VALUES (1, 1, 1, 1, 2.99, '2022-05-25 11:30:37+00'), (2, 2, 1, 2, 0.99, '2023-01-02 10:00:00+00'),
       (3, 1, 1, 1, 5.99, '2026-07-15 12:00:00+00');
REFRESH MATERIALIZED VIEW public.rental_by_category;
