//! Backend selectors: a backend name, or a glob over names with `*` (any
//! run of characters) and `?` (one character).
//!
//! Invariant: without `*` or `?` a selector matches exactly one name.

/// Whether `name` matches `pattern`.
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Classic two-pointer glob match with backtracking to the last `*`.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn names_stars_and_question_marks() {
        assert!(matches("memory-atomic", "memory-atomic"));
        assert!(!matches("memory-atomic", "memory-atomics"));
        assert!(matches("memory-*", "memory-naive"));
        assert!(!matches("memory-*", "sqlite-naive"));
        assert!(matches("*-atomic", "postgres-atomic"));
        assert!(matches("*", "postgres-tx@serializable"));
        assert!(matches("postgres-tx@*", "postgres-tx@serializable"));
        assert!(matches("*a*c", "xxabxxc"));
        assert!(!matches("*a*c", "xxabxxd"));
        assert!(matches("redis-???", "redis-lua"));
        assert!(!matches("redis-???", "redis-watch"));
    }
}
