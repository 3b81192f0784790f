-- Which of the unknown orders' ids were stored. $1 order ids (array)
SELECT order_id FROM {{reservations}} WHERE order_id = ANY($1)
