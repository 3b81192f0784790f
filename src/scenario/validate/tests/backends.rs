//! Backend errors: duplicate names, unknown kinds and unsupported options.
//!
//! Invariant: each rejection points at the offending line and dotted key.

use super::*;

#[test]
fn duplicate_backend_names() {
    let backends = "\n[[backend]]\nkind = \"memory-naive\"\n\n[[backend]]\nkind = \"memory-naive\"\nrtt = \"1ms\"\n";
    let text = doc(HEAD, PHASE, backends);
    let second = text.rfind("kind = \"memory-naive\"").unwrap();
    let e = parse(&text, Path::new("s.toml")).unwrap_err();
    assert_eq!(e.key, "backend[1].name");
    assert_eq!(e.line, text[..second].matches('\n').count() + 1);
    let first_line = text
        .find("kind = \"memory-naive\"")
        .map(|a| text[..a].matches('\n').count() + 1)
        .unwrap();
    assert!(
        e.message.contains("duplicate backend name")
            && e.message.contains(&format!("line {first_line}")),
        "{e}"
    );

    let backends = "\n[[backend]]\nkind = \"memory-naive\"\nname = \"a\"\n\n[[backend]]\nkind = \"sqlite-naive\"\nname = \"a\"\n";
    let text = doc(HEAD, PHASE, backends);
    let e = parse(&text, Path::new("s.toml")).unwrap_err();
    assert_eq!(
        (e.key.as_str(), e.line),
        ("backend[1].name", text.lines().count())
    );
}

#[test]
fn unknown_backend_kind() {
    let backends = "\n[[backend]]\nkind = \"redis-lua\"\n";
    let e = assert_err(
        &doc(HEAD, PHASE, backends),
        "redis-lua",
        "backend[0].kind",
        &["unknown backend kind"],
    );
    for k in BackendKind::ALL {
        assert!(e.message.contains(k.as_str()), "lists {}: {e}", k.as_str());
    }
    let backends = "\n[[backend]]\nname = \"x\"\n";
    assert_err(
        &doc(HEAD, PHASE, backends),
        "[[backend]]",
        "backend[0].kind",
        &["missing `kind`"],
    );
}

#[test]
fn unsupported_backend_option() {
    let backends = "\n[[backend]]\nkind = \"memory-lock\"\npool = 4\n";
    let e = assert_err(
        &doc(HEAD, PHASE, backends),
        "pool",
        "backend[0].pool",
        &["memory-lock", "`rtt`"],
    );
    assert_eq!(e.column, 1, "points at the key: {e}");
    let backends = "\n[[backend]]\nkind = \"sqlite-naive\"\nrtt = \"1ms\"\n";
    assert_err(
        &doc(HEAD, PHASE, backends),
        "rtt",
        "backend[0].rtt",
        &["sqlite-naive", "`pool`, `busy_timeout`"],
    );
    let backends = "\n[[backend]]\nkind = \"sqlite-naive\"\npool = 65\n";
    assert_err(
        &doc(HEAD, PHASE, backends),
        "pool",
        "backend[0].pool",
        &["between 1 and 64"],
    );
}
