//! Property tests of the requirement parser: whatever text the guest sends, parsing never
//! panics, and what is accepted is a plain name, extras and version clauses whose canonical
//! form parses back to the same requirement — nothing pip could read as a path, URL, marker
//! or option.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::{MAX_TEXT, OPERATORS, Requirement, normalize_name};

/// Pieces of hostile requirements: names, operators, versions, and everything pip reads as
/// something other than a name and a version.
const TOKENS: &[&str] = &[
    "six",
    "Six",
    "a",
    "zope.interface",
    "A_b-c.9",
    "email",
    "-r",
    "--index-url",
    "-e",
    "../x",
    "./",
    "/etc/passwd",
    "~",
    "~/",
    "~=",
    "==",
    "=",
    "===",
    ">=",
    "<=",
    "<",
    ">",
    "!=",
    "1.0",
    "1.*",
    ".*",
    "*",
    "1!2.0rc1",
    "+local",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    ",",
    "[",
    "]",
    "@",
    ";",
    "://",
    "https",
    "git+",
    "file:",
    "é",
    "\\",
    "-",
    ".",
    "_",
    "+",
    "!",
    "\0",
    "#",
    "'",
    "\"",
    "C:",
];

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => vec(select(TOKENS), 1..12).prop_map(|tokens| tokens.concat()),
        1 => "[ -~]{0,40}",
        1 => any::<String>(),
    ]
}

/// `[A-Za-z0-9]`, then `[A-Za-z0-9._-]`, ending with `[A-Za-z0-9]`: nothing else may reach pip
/// as a name.
fn is_plain_name(name: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    alnum(name.chars().next())
        && alnum(name.chars().last())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// What every accepted requirement must satisfy.
fn check_accepted(input: &str, requirement: &Requirement) -> Result<(), TestCaseError> {
    let canonical = requirement.to_string();
    let again = Requirement::parse(&canonical);
    prop_assert_eq!(again.as_ref(), Ok(requirement), "{:?}", input);
    prop_assert_eq!(again.map(|r| r.to_string()), Ok(canonical.clone()));
    prop_assert!(canonical.len() <= MAX_TEXT);
    prop_assert!(
        is_plain_name(requirement.name()),
        "{:?} gave name {:?}",
        input,
        requirement.name()
    );
    for extra in requirement.extras() {
        prop_assert!(is_plain_name(extra), "{:?} gave extra {:?}", input, extra);
    }
    for (op, version) in &requirement.clauses {
        prop_assert!(OPERATORS.contains(op));
        prop_assert!(
            version.starts_with(|c: char| c.is_ascii_alphanumeric()),
            "{:?}",
            input
        );
        prop_assert!(
            version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '!' | '*' | '-')),
            "{:?} gave version {:?}",
            input,
            version
        );
    }
    prop_assert!(
        canonical.is_ascii()
            && !canonical.contains(|c: char| c.is_ascii_whitespace() || c.is_ascii_control())
    );
    prop_assert!(!canonical.starts_with('-') && !canonical.contains(['/', '\\', '@', ';', '#']));
    Ok(())
}

/// A well-formed requirement, and one way of writing it with spaces around operators and commas.
fn written() -> impl Strategy<Value = (Requirement, String)> {
    let name = "[A-Za-z0-9]([A-Za-z0-9._-]{0,8}[A-Za-z0-9])?";
    let clause = (
        select(&OPERATORS[..]),
        "[A-Za-z0-9][A-Za-z0-9._+!-]{0,6}",
        any::<bool>(),
    )
        .prop_map(|(op, version, star)| {
            let star = star && matches!(op, "==" | "!=");
            (op, if star { format!("{version}.*") } else { version })
        });
    let space = select(&["", " ", "  "][..]);
    (
        name,
        vec(name, 0..3),
        vec((clause, space.clone(), space.clone(), space), 0..3),
    )
        .prop_map(|(name, extras, clauses)| {
            let mut text = name.clone();
            if !extras.is_empty() {
                text.push_str(&format!("[{}]", extras.join(",")));
            }
            for (i, ((op, version), before, after, comma)) in clauses.iter().enumerate() {
                if i > 0 {
                    text.push_str(&format!("{comma},{comma}"));
                }
                text.push_str(&format!("{before}{op}{after}{version}"));
            }
            let requirement = Requirement {
                name,
                extras,
                clauses: clauses.into_iter().map(|(clause, ..)| clause).collect(),
            };
            (requirement, text)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn anything_accepted_is_plain_and_canonical(text in hostile()) {
        let _ = normalize_name(&text);
        if let Ok(requirement) = Requirement::parse(&text) {
            check_accepted(&text, &requirement)?;
            prop_assert!(!text.starts_with('-') && !text.contains(" -"), "{:?}", text);
            prop_assert!(!text.contains("://") && !text.contains(['@', ';', '/', '\\']), "{:?}", text);
        }
    }

    #[test]
    fn a_name_and_version_from_the_guest_is_plain_and_canonical(
        name in hostile(),
        version in prop::option::of(hostile()),
    ) {
        if let Ok(requirement) = Requirement::from_name_version(&name, version.as_deref()) {
            check_accepted(&format!("{name:?} {version:?}"), &requirement)?;
        }
    }

    #[test]
    fn the_grammar_is_accepted_however_it_is_spaced((requirement, text) in written()) {
        prop_assert_eq!(Requirement::parse(&text), Ok(requirement.clone()), "{:?}", text);
        check_accepted(&text, &requirement)?;
    }
}
