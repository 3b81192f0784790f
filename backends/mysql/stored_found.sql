-- Which of the unknown orders' ids were stored; the id list `(1, 2, …)` is
-- appended, formatted from integers.
SELECT order_id FROM {{reservations}} WHERE order_id IN
