-- Confirm (held → sold), release (held → free) or refund (sold → free).
-- Binds: change of held, change of sold, sku
UPDATE {{stock}} SET held = held + ?, sold = sold + ? WHERE sku = ?
