-- postgres-sharded: each SKU's stock split over bucket rows.
CREATE TABLE {{bucket}} (
    sku      bigint NOT NULL,
    bucket   integer NOT NULL,
    on_hand  bigint NOT NULL,
    buffer   bigint NOT NULL,
    reserved bigint NOT NULL,
    PRIMARY KEY (sku, bucket)
)
