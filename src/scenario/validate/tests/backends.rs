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
    let backends = "\n[[backend]]\nkind = \"redis-cluster\"\n";
    let e = assert_err(
        &doc(HEAD, PHASE, backends),
        "redis-cluster",
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

#[test]
fn backend_durations_are_capped() {
    let backends = "\n[[backend]]\nkind = \"sqlite-atomic\"\nbusy_timeout = \"35792m\"\n";
    assert_err(
        &doc(HEAD, PHASE, backends),
        "busy_timeout",
        "backend[0].busy_timeout",
        &[
            "\"35792m\", above the limit of 1h",
            "32-bit count of milliseconds",
        ],
    );
    let backends = "\n[[backend]]\nkind = \"memory-naive\"\nrtt = \"61s\"\n";
    assert_err(
        &doc(HEAD, PHASE, backends),
        "rtt",
        "backend[0].rtt",
        &["\"61s\", above the limit of 60s", "every call"],
    );
    let backends = "\n[[backend]]\nkind = \"memory-naive\"\nrtt = \"1m\"\n\n[[backend]]\nkind = \"sqlite-naive\"\nbusy_timeout = \"1h\"\n";
    let s = parse(&doc(HEAD, PHASE, backends), Path::new("s.toml")).unwrap();
    assert_eq!(
        s.backends[1].options.busy_timeout,
        Duration::from_secs(3600)
    );
}

#[test]
fn backends_serialise_only_their_own_options() {
    let backends = "\n[[backend]]\nkind = \"memory-lock\"\nrtt = \"1.5ms\"\n\n[[backend]]\nkind = \"sqlite-naive\"\nname = \"lite\"\npool = 4\n";
    let s = parse(&doc(HEAD, PHASE, backends), Path::new("s.toml")).unwrap();
    let json = serde_json::to_value(&s.backends).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            { "name": "memory-lock", "kind": "memory-lock", "options": { "rtt": 1.5, "late_replies": 0.0, "late_reply": 0.0 } },
            { "name": "lite", "kind": "sqlite-naive", "options": { "pool": 4, "busy_timeout": 5000.0 } },
        ])
    );
    for b in &s.backends {
        assert_eq!(
            b.options_json(),
            json[s.backends.iter().position(|x| x.name == b.name).unwrap()]["options"]
        );
        let keys: Vec<String> = b
            .options_json()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let mut supported: Vec<&str> = b.kind.supported_options().to_vec();
        supported.sort();
        assert_eq!(keys, supported);
    }
}

#[test]
fn late_replies_are_a_share_of_calls() {
    let backends = "\n[[backend]]\nkind = \"memory-atomic\"\nlate_replies = 1.5\n";
    assert_err(
        &doc(HEAD, PHASE, backends),
        "late_replies",
        "backend[0].late_replies",
        &["from 0 to 1", "late_replies = 0.05"],
    );
    let backends = "\n[[backend]]\nkind = \"sqlite-atomic\"\nlate_reply = \"10ms\"\n";
    assert_err(
        &doc(HEAD, PHASE, backends),
        "late_reply",
        "backend[0].late_reply",
        &["not an option of sqlite-atomic"],
    );
    let backends =
        "\n[[backend]]\nkind = \"memory-queue\"\nlate_replies = 0.25\nlate_reply = \"40ms\"\n";
    let s = parse(&doc(HEAD, PHASE, backends), Path::new("s.toml")).unwrap();
    assert_eq!(s.backends[0].options.late_replies, 0.25);
    assert_eq!(s.backends[0].options.late_reply, Duration::from_millis(40));
}

#[test]
fn a_late_reply_needs_late_replies() {
    let backends = "\n[[backend]]\nkind = \"memory-atomic\"\nlate_reply = \"80ms\"\n";
    assert_err(
        &doc(HEAD, PHASE, backends),
        "late_reply",
        "backend[0].late_reply",
        &["`late_replies`", "late_replies = 0.05"],
    );
}

#[test]
fn batch_options_are_bounded() {
    let backends = "\n[[backend]]\nkind = \"memory-batch\"\nbatch_size = 0\n";
    assert_err(
        &doc(HEAD, PHASE, backends),
        "batch_size",
        "backend[0].batch_size",
        &["orders per batch"],
    );
    let backends = "\n[[backend]]\nkind = \"memory-batch\"\nbatch_wait = \"2s\"\n";
    assert_err(
        &doc(HEAD, PHASE, backends),
        "batch_wait",
        "backend[0].batch_wait",
        &["above the limit of 1s"],
    );
    let backends = "\n[[backend]]\nkind = \"memory-atomic\"\nbatch_size = 8\n";
    assert_err(
        &doc(HEAD, PHASE, backends),
        "batch_size",
        "backend[0].batch_size",
        &["not an option of memory-atomic"],
    );
    let backends = "\n[[backend]]\nkind = \"memory-batch\"\nbatch_size = 8\nbatch_wait = \"5ms\"\n";
    let s = parse(&doc(HEAD, PHASE, backends), Path::new("s.toml")).unwrap();
    assert_eq!(s.backends[0].options.batch_size, 8);
    assert_eq!(s.backends[0].options.batch_wait, Duration::from_millis(5));
}

#[test]
fn a_batch_wait_must_be_shorter_than_the_timeout() {
    let head = HEAD.replace("seed = 1\n", "seed = 1\ntimeout = \"100ms\"\n");
    let backends = "\n[[backend]]\nkind = \"memory-batch\"\nbatch_wait = \"100ms\"\n";
    assert_err(
        &doc(&head, PHASE, backends),
        "batch_wait",
        "backend[0].batch_wait",
        &["shorter than the scenario's `timeout` (100ms)"],
    );
}
