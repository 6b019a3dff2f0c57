-- Order sets used (docs/lab.md, "Order sets"): one row per lab order placed from the order set of
-- a preliminary decision-support answer, so `dx_suggestions` joins to whether its set was used
-- (by suggestion_id) and the share of orders placed from order sets is countable. `offered`: the
-- LOINCs of the set's union; `ordered`: those the order took.
CREATE TABLE IF NOT EXISTS lab_order_set_uses
(
    suggestion_id String,
    order_id      String,
    encounter_id  String,
    offered       Array(String),
    ordered       Array(String),
    time          DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (suggestion_id, order_id);
