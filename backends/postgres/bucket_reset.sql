DELETE FROM {{bucket}}
