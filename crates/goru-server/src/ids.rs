//! Random identifiers from the operating system's generator: session ids
//! (which act as capabilities, so must be unguessable) and request ids.

/// `bytes` random bytes as lowercase hex; `None` if the OS generator failed.
pub fn random_hex(bytes: usize) -> Option<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).ok()?;
    Some(hex::encode(buffer))
}

/// A session id as logs show it: its node prefix (if any) and the first 8
/// characters of its random part — enough to follow a session through the
/// log, while the whole id (which grants use of the session) stays out of it.
pub fn short(id: &str) -> String {
    let first = |random: &str| random.chars().take(8).collect::<String>();
    match id.rsplit_once('.') {
        Some((node, random)) => format!("{node}.{}", first(random)),
        None => first(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_of_the_asked_length_and_distinct() {
        let a = random_hex(16).expect("OS randomness");
        let b = random_hex(16).expect("OS randomness");
        assert_eq!(a.len(), 32);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
        assert_eq!(short(&a), &a[..8]);
        assert_eq!(short(&format!("node-1.{a}")), format!("node-1.{}", &a[..8]));
    }
}
