-- Confirm (held → sold), release (held → free) or refund (sold → free).
-- $1 sku, $2 change of held, $3 change of sold
UPDATE {{stock}} SET held = held + $2, sold = sold + $3 WHERE sku = $1
