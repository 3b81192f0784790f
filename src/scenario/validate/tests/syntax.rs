//! Errors in the file as a whole: TOML syntax, unknown keys, wrong types,
//! durations, missing required keys and names.
//!
//! Invariant: each rejection points at the offending line and dotted key.

use super::*;

#[test]
fn toml_syntax_error() {
    let text = doc(
        HEAD,
        "\n[[phase]]\nkind = \"instant\"\norders = 10 20\n",
        BACKEND,
    );
    assert_err(
        &text,
        "orders = 10 20",
        "phase[0].orders",
        &["invalid TOML"],
    );
}

#[test]
fn syntax_error_outside_any_key_names_the_top_level() {
    let e = parse("name = \"t\"\n\u{c58} garbage\n", Path::new("s.toml")).unwrap_err();
    assert_eq!(
        (e.line, e.column, e.key.as_str()),
        (2, 1, "(top level)"),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("s.toml:2:1: `(top level)`: invalid TOML"),
        "{e}"
    );
}

#[test]
fn unknown_top_level_key() {
    let text = doc(&format!("{HEAD}\nconcurency = 3\n"), PHASE, BACKEND);
    let text = text.replacen("[catalogue]", "concurency = 3\n[catalogue]", 1);
    let e = assert_err(
        &text,
        "concurency",
        "concurency",
        &["unknown field `concurency`"],
    );
    assert!(
        e.message.contains("`concurrency`"),
        "lists the expected keys: {e}"
    );
}

#[test]
fn unknown_key_in_phase() {
    let text = doc(HEAD, "\n[[phase]]\nkind = \"instant\"\norders = 10\n\n[[phase]]\nkind = \"instant\"\norder = 10\n", BACKEND);
    assert_err(
        &text,
        "order = 10",
        "phase[1].order",
        &["unknown field `order`", "`orders`"],
    );
}

#[test]
fn wrong_types() {
    let text = doc("name = \"t\"\nseed = \"x\"\n", PHASE, BACKEND);
    assert_err(
        &text,
        "seed",
        "seed",
        &["invalid type", "expected an integer"],
    );
    let text = doc(
        HEAD,
        "\n[[phase]]\nkind = \"constant\"\nrate = \"fast\"\nduration = \"1s\"\n",
        BACKEND,
    );
    assert_err(&text, "rate", "phase[0].rate", &["expected a number"]);
    let text = doc(
        HEAD,
        "\n[phase]\nkind = \"instant\"\norders = 10\n",
        BACKEND,
    );
    assert_err(&text, "[phase]", "phase", &["[[phase]]"]);
    let text = doc(
        HEAD,
        "\n[[phase]]\nkind = \"instant\"\norders = 10\nskus = \"HOT\"\n",
        BACKEND,
    );
    assert_err(&text, "skus", "phase[0].skus", &["{ pick = \"uniform\" }"]);
}

#[test]
fn bad_durations() {
    let text = doc(HEAD, PHASE, BACKEND).replacen("seed = 1", "seed = 1\ntimeout = \"fast\"", 1);
    assert_err(
        &text,
        "timeout",
        "timeout",
        &["not a duration", "\"100ms\""],
    );
    let text = doc(HEAD, PHASE, BACKEND).replacen("seed = 1", "seed = 1\nwindow = 100", 1);
    assert_err(&text, "window", "window", &["bare number", "\"100ms\""]);
    let text = doc(HEAD, PHASE, BACKEND).replacen("seed = 1", "seed = 1\ntimeout = \"0ms\"", 1);
    assert_err(&text, "timeout", "timeout", &["above zero"]);
    let text = doc(HEAD, PHASE, BACKEND).replacen("seed = 1", "seed = 1\nwindow = \"500us\"", 1);
    assert_err(&text, "window", "window", &["below the limit of 1ms"]);
    let phase = "\n[[phase]]\nkind = \"spread\"\norders = 10\nover = \"0s\"\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "over",
        "phase[0].over",
        &["above zero"],
    );
    let phase = "\n[[phase]]\nkind = \"instant\"\norders = 10\nat = \"1.5\"\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "at =",
        "phase[0].at",
        &["no unit"],
    );
}

#[test]
fn missing_required_keys() {
    let phases = "\n[[phase]]\nkind = \"instant\"\norders = 10\n\n[[phase]]\nname = \"x\"\n";
    let text = doc(HEAD, phases, BACKEND);
    let second = text.rfind("[[phase]]").unwrap();
    let e = parse(&text, Path::new("s.toml")).unwrap_err();
    assert_eq!(
        (e.key.as_str(), e.line),
        ("phase[1].kind", text[..second].matches('\n').count() + 1)
    );
    assert!(
        e.message.contains("missing `kind`") && e.message.contains("`instant`"),
        "{e}"
    );

    let phase = "\n[[phase]]\nkind = \"instant\"\nat = \"1s\"\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "[[phase]]",
        "phase[0].orders",
        &["an instant phase needs `orders`"],
    );
    let phase = "\n[[phase]]\nkind = \"closed\"\nclients = 3\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "[[phase]]",
        "phase[0].duration",
        &["needs `duration`"],
    );
    let phase = "\n[[phase]]\nkind = \"instant\"\norders = 1\nskus = { sku = \"HOT\" }\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "skus",
        "phase[0].skus.pick",
        &["missing `pick`"],
    );

    let text = doc(HEAD, "", BACKEND);
    let e = parse(&text, Path::new("s.toml")).unwrap_err();
    assert_eq!((e.key.as_str(), e.line, e.column), ("phase", 1, 1));
    let text = doc(HEAD, PHASE, "");
    assert_eq!(
        parse(&text, Path::new("s.toml")).unwrap_err().key,
        "backend"
    );
    let text = doc(&HEAD.replacen("seed = 1\n", "", 1), PHASE, BACKEND);
    assert_eq!(parse(&text, Path::new("s.toml")).unwrap_err().key, "seed");
}

#[test]
fn names_are_checked() {
    let text = doc(HEAD, PHASE, BACKEND).replacen("name = \"t\"", "name = \"../x\"", 1);
    assert_err(&text, "name", "name", &["letters, digits"]);
    let phases = "\n[[phase]]\nname = \"a\"\nkind = \"instant\"\norders = 1\n\n[[phase]]\nname = \"a\"\nkind = \"instant\"\norders = 1\n";
    let text = doc(HEAD, phases, BACKEND);
    let e = parse(&text, Path::new("s.toml")).unwrap_err();
    assert_eq!(e.key, "phase[1].name");
    assert!(e.message.contains("duplicate phase name"), "{e}");
    let backends = "\n[[backend]]\nkind = \"memory-lock\"\nname = \"a b\"\n";
    assert_err(
        &doc(HEAD, PHASE, backends),
        "a b",
        "backend[0].name",
        &["letters, digits"],
    );
}

#[test]
fn durations_with_spaces_around_them() {
    for (key, value) in [
        ("timeout", "\" 5ms\""),
        ("window", "\"5ms \""),
        ("saturation_limit", "\"\\t5ms\""),
    ] {
        let text = doc(HEAD, PHASE, BACKEND).replacen(
            "seed = 1",
            &format!("seed = 1\n{key} = {value}"),
            1,
        );
        assert_err(
            &text,
            &format!("{key} ="),
            key,
            &["has spaces around it", "write \"5ms\""],
        );
    }
    let phase = "\n[[phase]]\nkind = \"instant\"\norders = 10\nat = \" 1s\"\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "at =",
        "phase[0].at",
        &["spaces"],
    );
}

#[test]
fn run_settings_are_capped_at_an_hour() {
    for (key, value) in [
        ("timeout", "61m"),
        ("window", "2h"),
        ("saturation_limit", "3600.001s"),
    ] {
        let text = doc(HEAD, PHASE, BACKEND).replacen(
            "seed = 1",
            &format!("seed = 1\n{key} = \"{value}\""),
            1,
        );
        assert_err(
            &text,
            &format!("{key} ="),
            key,
            &[
                &format!("`{key}` is \"{value}\", above the limit of 1h: "),
                "; lower it",
            ],
        );
    }
    // Hours are a unit, and the caps themselves are allowed.
    let text = doc(HEAD, PHASE, BACKEND).replacen(
        "seed = 1",
        "seed = 1\ntimeout = \"1h\"\nwindow = \"60m\"\nsaturation_limit = \"3600s\"",
        1,
    );
    let s = parse(&text, Path::new("s.toml")).unwrap();
    assert_eq!(s.timeout, Duration::from_secs(3600));
}

#[test]
fn non_utf8_file_names_the_first_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, b"name = \"t\"\nseed = 1\n# caf\xe9 au lait\n").unwrap();
    let e = crate::scenario::load(&path).unwrap_err();
    assert_eq!((e.line, e.column, e.key.as_str()), (3, 6, "(file)"), "{e}");
    assert!(
        e.message.contains("not valid UTF-8") && e.message.contains("byte 25 (0xe9)"),
        "{e}"
    );
    assert!(!e.message.contains("permissions"), "{e}");
    // Characters before the bad byte count once each.
    std::fs::write(
        &path,
        "µ = 1\nµµ\u{fffd}"
            .bytes()
            .chain([0xff])
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let e = crate::scenario::load(&path).unwrap_err();
    assert_eq!((e.line, e.column), (2, 4), "{e}");
}
