//! Server backend options: URLs (never echoed with their password),
//! isolation levels, buckets and the SQL files of custom backends.

use super::*;

fn backend(body: &str) -> String {
    doc(HEAD, PHASE, &format!("\n[[backend]]\n{body}\n"))
}

#[test]
fn a_url_option_the_driver_refuses_is_bad_input_without_its_password() {
    for (kind, url) in [
        (
            "postgres-atomic",
            "postgres://app:hunter2@db/shop?sslmode=bogus",
        ),
        ("mysql-atomic", "mysql://app:hunter2@db/shop?ssl-mode=bogus"),
    ] {
        let e = assert_err(
            &backend(&format!("kind = \"{kind}\"\nurl = \"{url}\"")),
            "url =",
            "backend[0].url",
            &["bogus", "app:redacted@db"],
        );
        assert!(!e.message.contains("hunter2"), "{e}");
        assert_eq!(
            e.message.matches("error with configuration").count(),
            1,
            "{e}"
        );
    }
}

#[test]
fn a_url_of_the_wrong_scheme_is_refused_without_its_password() {
    let e = assert_err(
        &backend("kind = \"postgres-atomic\"\nurl = \"mysql://app:hunter2@db/shop\""),
        "url =",
        "backend[0].url",
        &["not a PostgreSQL URL", "postgres", "app:redacted@db"],
    );
    assert!(!e.message.contains("hunter2"), "{e}");
    assert_err(
        &backend("kind = \"mysql-atomic\"\nurl = \"not a url\""),
        "url =",
        "backend[0].url",
        &["is not a URL"],
    );
}

#[test]
fn tx_backends_are_named_after_their_level() {
    let s = parse(
        &backend("kind = \"postgres-tx\"\nisolation = \"serializable\""),
        Path::new("s.toml"),
    )
    .unwrap();
    assert_eq!(s.backends[0].name, "postgres-tx@serializable");
    let s = parse(&backend("kind = \"mysql-tx\""), Path::new("s.toml")).unwrap();
    assert_eq!(
        s.backends[0].name, "mysql-tx@repeatable-read",
        "MariaDB's default level"
    );
    assert_err(
        &backend("kind = \"postgres-tx\"\nisolation = \"snapshot\""),
        "isolation",
        "backend[0].isolation",
        &["unknown isolation level", "read-committed", "serializable"],
    );
}

#[test]
fn options_of_other_kinds_are_refused() {
    assert_err(
        &backend("kind = \"postgres-atomic\"\nisolation = \"serializable\""),
        "isolation",
        "backend[0].isolation",
        &["not an option of postgres-atomic", "url"],
    );
    assert_err(
        &backend("kind = \"mysql-atomic\"\nbuckets = 4"),
        "buckets",
        "backend[0].buckets",
        &["not an option of mysql-atomic"],
    );
    assert_err(
        &backend("kind = \"postgres-sharded\"\nbuckets = 0"),
        "buckets",
        "backend[0].buckets",
        &["bucket"],
    );
}

#[test]
fn server_urls_default_to_the_local_servers() {
    let s = parse(&backend("kind = \"postgres-atomic\""), Path::new("s.toml")).unwrap();
    let expected = std::env::var("ATPSIM_POSTGRES_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| Server::Postgres.default_url().to_string());
    assert_eq!(s.backends[0].options.url, expected);
}

fn custom_dir(reserve: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |n: &str, t: &str| std::fs::write(dir.path().join(n), t).unwrap();
    write(
        "schema.sql",
        "CREATE TABLE {{stock}} (sku bigint, reserved bigint)",
    );
    write("reset.sql", "INSERT INTO {{stock}} VALUES (:sku, 0)");
    write("reserve.sql", reserve);
    write("snapshot.sql", "SELECT sku, reserved FROM {{stock}}");
    dir
}

const CUSTOM: &str = "kind = \"postgres-custom\"\nschema = \"schema.sql\"\nreset = \"reset.sql\"\nreserve = \"reserve.sql\"\nsnapshot = \"snapshot.sql\"";

#[test]
fn custom_sql_files_are_read_relative_to_the_scenario() {
    let dir = custom_dir("UPDATE {{stock}} SET reserved = reserved + :qty WHERE sku = :sku");
    let s = parse(&backend(CUSTOM), &dir.path().join("s.toml")).unwrap();
    let custom = s.backends[0].options.custom.as_ref().unwrap();
    assert!(custom.reserve.text.contains(":qty"));
    assert_eq!(custom.reserve.path, dir.path().join("reserve.sql"));
}

#[test]
fn a_bad_custom_file_names_the_sql_file_line_and_column() {
    let dir = custom_dir("-- reserve\nUPDATE {{stock}}\n   SET reserved = reserved + :quantity");
    let text = backend(CUSTOM);
    let e = parse(&text, &dir.path().join("s.toml")).unwrap_err();
    assert_eq!(e.key, "backend[0].reserve", "{e}");
    assert!(e.message.contains("reserve.sql:3:30"), "{e}");
    assert!(e.message.contains("unknown parameter :quantity"), "{e}");

    let dir = custom_dir("UPDATE {{stock}} SET reserved = reserved + :qty WHERE sku = :sku");
    let missing = CUSTOM.replace("snapshot.sql", "nowhere.sql");
    let e = parse(&backend(&missing), &dir.path().join("s.toml")).unwrap_err();
    assert_eq!(e.key, "backend[0].snapshot", "{e}");
    assert!(
        e.message.contains("cannot read") && e.message.contains("nowhere.sql"),
        "{e}"
    );

    let without = CUSTOM.replace("\nreset = \"reset.sql\"", "");
    let e = parse(&backend(&without), &dir.path().join("s.toml")).unwrap_err();
    assert_eq!(e.key, "backend[0].reset", "{e}");
}

#[test]
fn an_empty_custom_file_is_refused() {
    let dir = custom_dir("-- nothing here yet\n");
    let e = parse(&backend(CUSTOM), &dir.path().join("s.toml")).unwrap_err();
    assert!(e.message.contains("holds no SQL statement"), "{e}");
}

#[test]
fn a_snapshot_is_one_statement() {
    let dir = custom_dir("UPDATE {{stock}} SET reserved = reserved + :qty WHERE sku = :sku");
    std::fs::write(
        dir.path().join("snapshot.sql"),
        "SELECT sku, reserved FROM {{stock}};\nSELECT 1",
    )
    .unwrap();
    let e = parse(&backend(CUSTOM), &dir.path().join("s.toml")).unwrap_err();
    assert_eq!(e.key, "backend[0].snapshot", "{e}");
    assert!(
        e.message.contains("snapshot.sql:2") && e.message.contains("one statement"),
        "{e}"
    );
}

#[test]
fn redis_backends_default_to_the_local_server_and_dedicated_connections() {
    for kind in ["redis-naive", "redis-watch", "redis-lua", "redis-decr"] {
        let s = parse(&backend(&format!("kind = \"{kind}\"")), Path::new("s.toml")).unwrap();
        let b = &s.backends[0];
        assert_eq!(b.kind.server(), Some(Server::Redis));
        let expected = std::env::var("ATPSIM_REDIS_URL")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| Server::Redis.default_url().to_string());
        assert_eq!(b.options.url, expected);
        assert_eq!(b.options.connection, ConnectionMode::Dedicated);
        assert_eq!(b.options_json()["connection"], "dedicated");
    }
    let s = parse(
        &backend("kind = \"redis-lua\"\nurl = \"rediss://:hunter2@cache:6380/1\"\nconnection = \"multiplexed\""),
        Path::new("s.toml"),
    )
    .unwrap();
    assert_eq!(
        s.backends[0].options.connection,
        ConnectionMode::Multiplexed
    );
    let json = s.backends[0].options_json().to_string();
    assert!(!json.contains("hunter2"), "{json}");
}

#[test]
fn redis_options_are_checked() {
    let e = assert_err(
        &backend("kind = \"redis-watch\"\nconnection = \"multiplexed\""),
        "connection",
        "backend[0].connection",
        &["redis-watch needs `connection = \"dedicated\"`", "WATCH"],
    );
    assert!(e.message.contains("EXEC"), "{e}");
    assert_err(
        &backend("kind = \"redis-lua\"\nconnection = \"pooled\""),
        "connection",
        "backend[0].connection",
        &["unknown connection mode", "dedicated", "multiplexed"],
    );
    assert_err(
        &backend("kind = \"postgres-atomic\"\nconnection = \"dedicated\""),
        "connection",
        "backend[0].connection",
        &["not an option of postgres-atomic"],
    );
    assert_err(
        &backend("kind = \"redis-decr\"\nisolation = \"serializable\""),
        "isolation",
        "backend[0].isolation",
        &["not an option of redis-decr", "url", "connection"],
    );
    let e = assert_err(
        &backend("kind = \"redis-lua\"\nurl = \"postgres://app:hunter2@db/shop\""),
        "url =",
        "backend[0].url",
        &["not a Redis URL", "redis", "rediss", "app:redacted@db"],
    );
    assert!(!e.message.contains("hunter2"), "{e}");
}

fn lua_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("reserve.lua"), "return 1\n").unwrap();
    std::fs::write(dir.path().join("blank.lua"), "-- to do\n\n").unwrap();
    dir
}

fn lua_parse(body: &str, dir: &tempfile::TempDir) -> std::result::Result<Scenario, ScenarioError> {
    parse(
        &backend(&format!("kind = \"redis-custom\"\n{body}")),
        &dir.path().join("s.toml"),
    )
}

#[test]
fn redis_custom_defaults_to_the_hash_layout_and_built_in_reset_and_snapshot() {
    let dir = lua_dir();
    let s = lua_parse("reserve = \"reserve.lua\"", &dir).unwrap();
    let lua = s.backends[0].options.custom_lua.as_ref().unwrap();
    assert_eq!(lua.keys_text, ["stock:{sku}"]);
    assert_eq!(lua.reserve.path, dir.path().join("reserve.lua"));
    assert!(lua.reset.is_none() && lua.snapshot.is_none());
    let options = s.backends[0].options_json();
    assert_eq!(options["reset"], serde_json::Value::Null);
    assert_eq!(options["keys"][0], "stock:{sku}");
}

#[test]
fn redis_custom_refuses_bad_keys_and_files_naming_the_key() {
    let dir = lua_dir();
    let cases = [
        ("keys = [\"stock:{id}\"]\nreserve = \"reserve.lua\"", "backend[0].keys[0]", "character 7"),
        ("keys = [\"a:{sku}\", \"a:{sku}\"]\nreserve = \"reserve.lua\"", "backend[0].keys[1]", "listed twice"),
        ("keys = []\nreserve = \"reserve.lua\"", "backend[0].keys", "1 to 16"),
        ("keys = [\"stock\"]\nreserve = \"reserve.lua\"", "backend[0].keys", "same for every SKU"),
        ("keys = [\"meta\"]\nreserve = \"reserve.lua\"\nreset = \"reserve.lua\"\nsnapshot = \"reserve.lua\"", "backend[0].keys[0]", "marker"),
        ("reserve = \"blank.lua\"", "backend[0].reserve", "no Lua code"),
        ("reserve = \"reserve.lua\"\nsnapshot = \"gone.lua\"", "backend[0].snapshot", "cannot read"),
        ("keys = [\"x:{sku}\"]", "backend[0].reserve", "missing `reserve`"),
        ("reserve = \"reserve.lua\"\nschema = \"s.sql\"", "backend[0].schema", "not an option of redis-custom"),
    ];
    for (body, key, says) in cases {
        let e = lua_parse(body, &dir).unwrap_err();
        assert_eq!(e.key, key, "{body}: {e}");
        assert!(e.message.contains(says), "{body}: {e}");
    }
    // A shared first key is fine once the team reads and resets it itself.
    let own = "keys = [\"stock\"]\nreserve = \"reserve.lua\"\nreset = \"reserve.lua\"\nsnapshot = \"reserve.lua\"";
    assert!(lua_parse(own, &dir).is_ok());
    let e = parse(
        &backend("kind = \"redis-lua\"\nkeys = [\"a\"]"),
        &dir.path().join("s.toml"),
    )
    .unwrap_err();
    assert_eq!(e.key, "backend[0].keys", "{e}");
}

#[test]
fn redis_custom_keys_may_not_meet_once_filled_in() {
    let dir = lua_dir();
    let own = "reset = \"reserve.lua\"\nsnapshot = \"reserve.lua\"\nreserve = \"reserve.lua\"";
    // SKU "1" (index 1 in HEAD's catalogue or not): an id can spell an index.
    let text = format!(
        "name = \"k\"\nseed = 1\n[[sku]]\nid = \"A\"\nstock = 1\n[[sku]]\nid = \"1\"\nstock = 1\n\
         [[sku]]\nid = \"meta\"\nstock = 1\n[[phase]]\nkind = \"instant\"\norders = 1\n\
         [[backend]]\nkind = \"redis-custom\"\n{own}\nkeys = KEYS\n"
    );
    let parse_keys = |keys: &str| parse(&text.replace("KEYS", keys), &dir.path().join("s.toml"));
    let e = parse_keys("[\"a:{sku_id}\", \"a:{sku}\"]").unwrap_err();
    assert_eq!(e.key, "backend[0].keys", "{e}");
    assert!(e.message.contains("\"a:1\""), "{e}");
    let e = parse_keys("[\"{sku_id}\"]").unwrap_err();
    assert!(e.message.contains("marker"), "{e}");
    assert!(parse_keys("[\"id:{sku_id}\", \"n:{sku}\", \"all\"]").is_ok());
}

#[test]
fn redis_custom_strips_a_byte_order_mark_and_wants_an_array_of_key_strings() {
    let dir = lua_dir();
    std::fs::write(dir.path().join("bom.lua"), "\u{feff}return 1\n").unwrap();
    let s = lua_parse("reserve = \"bom.lua\"", &dir).unwrap();
    let lua = s.backends[0].options.custom_lua.as_ref().unwrap();
    assert_eq!(lua.reserve.text, "return 1\n");
    let e = lua_parse("reserve = \"bom.lua\"\nkeys = \"stock:{sku}\"", &dir).unwrap_err();
    assert!(e.message.contains("array of strings"), "{e}");
}

#[test]
fn a_redis_url_path_is_a_database_number() {
    for bad in ["abc", "-1", "99999999999"] {
        let e = assert_err(
            &backend(&format!(
                "kind = \"redis-lua\"\nurl = \"redis://127.0.0.1:6379/{bad}\""
            )),
            "url =",
            "backend[0].url",
            &["database number"],
        );
        assert!(e.message.contains(bad), "{e}");
    }
    for good in ["", "/", "/0", "/15"] {
        let text = backend(&format!(
            "kind = \"redis-lua\"\nurl = \"redis://127.0.0.1:6379{good}\""
        ));
        assert!(parse(&text, Path::new("s.toml")).is_ok(), "{good}");
    }
}
