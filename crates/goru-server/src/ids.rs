//! Random identifiers from the operating system's generator: session ids
//! (which act as capabilities, so must be unguessable) and request ids.

/// `bytes` random bytes as lowercase hex; `None` if the OS generator failed.
pub fn random_hex(bytes: usize) -> Option<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).ok()?;
    Some(hex::encode(buffer))
}

/// The first 8 characters of a session id, as logs show it: enough to
/// follow a session through the log, while the whole id (which grants use
/// of the session) stays out of it.
pub fn short(id: &str) -> String {
    id.chars().take(8).collect()
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
    }
}
