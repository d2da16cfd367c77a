//! Package requirements (`six`, `six==1.16.0`, `pydantic[email]<2`): a strict,
//! hand-written subset of PEP 508, checked before anything reaches pip.
//!
//! Why not a full PEP 508 parser: these strings come from sandboxed code and
//! end up on pip's command line, so this is the trust boundary. pip accepts
//! much that we must refuse: direct references (`name @ https://...`), local
//! paths and archives (`../x`, `./pkg.whl`), environment markers (`; ...`),
//! options (`-r /etc/passwd`, `--index-url ...`, also after a valid
//! requirement) and odd whitespace (tabs, newlines). The grammar below admits
//! only a name, optional extras and an optional version specifier, spaces
//! only around operators and commas; anything else is an error that says
//! what is wrong.

use std::fmt;

/// Longest accepted requirement text, in bytes.
const MAX_TEXT: usize = 200;
/// Longest accepted package (or extra) name, in bytes.
const MAX_NAME: usize = 100;
/// Longest accepted version in one specifier clause, in bytes.
const MAX_VERSION: usize = 64;

/// The comparison operators of PEP 440, longest first (so `===` is tried
/// before `==`).
const OPERATORS: [&str; 8] = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];

/// The PEP 503 normalised form of a package name: lowercase, every run of
/// `-`, `_` and `.` replaced by one `-`. Two names are the same package when
/// their normalised forms are equal.
///
/// ```
/// use goru_packages::normalize_name;
///
/// assert_eq!(normalize_name("Python_Dateutil"), "python-dateutil");
/// assert_eq!(normalize_name("zope.interface"), "zope-interface");
/// assert_eq!(normalize_name("a-_.b"), "a-b");
/// ```
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator_run {
                out.push('-');
            }
            in_separator_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_separator_run = false;
        }
    }
    out
}

/// A validated package requirement: a name, optional extras and an optional
/// version specifier (comma-separated `OPERATOR VERSION` clauses).
///
/// Its [`Display`](fmt::Display) form is the canonical text handed to pip,
/// without spaces.
///
/// ```
/// use goru_packages::Requirement;
///
/// let req = Requirement::parse("Attrs >= 23, <25")?;
/// assert_eq!(req.name(), "Attrs");
/// assert_eq!(req.normalized_name(), "attrs");
/// assert_eq!(req.to_string(), "Attrs>=23,<25");
///
/// let req = Requirement::parse("pydantic[email]<2")?;
/// assert_eq!(req.extras(), ["email"]);
/// assert_eq!(req.specifier(), "<2");
///
/// assert!(Requirement::parse("six @ https://example.com/six.whl").is_err());
/// # Ok::<(), goru_packages::RequirementError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    name: String,
    extras: Vec<String>,
    /// `(operator, version)` clauses, e.g. `(">=", "23")`.
    clauses: Vec<(&'static str, String)>,
}

/// Why a requirement was refused. The message says exactly what is wrong;
/// it quotes (escaped) the offending part of the input.
///
/// ```
/// use goru_packages::Requirement;
///
/// let error = Requirement::parse("six=1.0").unwrap_err();
/// assert!(error.to_string().contains("use \"==\""), "{error}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequirementError {
    /// The requirement (or the package name) is empty.
    #[error("the package name is empty")]
    Empty,
    /// The requirement is longer than allowed.
    #[error("the requirement is {len} bytes long; at most {max} are allowed")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The most allowed.
        max: usize,
    },
    /// Something pip would accept but goru refuses: options, URLs, paths,
    /// direct references, environment markers.
    #[error(
        "{what} are not allowed in a requirement ({text:?}); give a package name and optionally a version"
    )]
    Forbidden {
        /// What was found, e.g. "environment markers (;)".
        what: &'static str,
        /// The requirement as given.
        text: String,
    },
    /// A character outside the grammar.
    #[error("unexpected character {found:?} at byte {at} of {text:?}")]
    UnexpectedCharacter {
        /// The character.
        found: char,
        /// Its byte offset.
        at: usize,
        /// The requirement as given.
        text: String,
    },
    /// The package name (or an extra's name) is malformed.
    #[error("invalid {kind} {name:?}: {reason}")]
    InvalidName {
        /// "package name" or "extra".
        kind: &'static str,
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The version specifier is malformed.
    #[error("invalid version specifier {specifier:?}: {reason}")]
    InvalidSpecifier {
        /// The specifier (or the clause) in question.
        specifier: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl Requirement {
    /// Parses `NAME[extra,...] OP VERSION, OP VERSION, ...` (extras and
    /// specifier optional); see the [crate documentation](crate) for what is
    /// refused and why.
    ///
    /// ```
    /// use goru_packages::Requirement;
    ///
    /// for ok in ["six", "six==1.16.0", "attrs>=23,<25", "pydantic[email]<2", "zope.interface==6.*"] {
    ///     assert!(Requirement::parse(ok).is_ok(), "{ok}");
    /// }
    /// for bad in ["", "-r/etc/passwd", "six; python_version<'3'", "../x", "six==1.0 --index-url x", "six=="] {
    ///     assert!(Requirement::parse(bad).is_err(), "{bad}");
    /// }
    /// ```
    pub fn parse(text: &str) -> Result<Requirement, RequirementError> {
        check_text(text)?;
        let (name, extras, rest) = parse_name_and_extras(text)?;
        let clauses = if rest.is_empty() {
            Vec::new()
        } else if rest.trim_start_matches(' ').starts_with(is_operator_start) {
            parse_specifier(rest)?
        } else {
            // A trailing space, or something after the name that is not an
            // operator (`six 1.0`, `six [a]`).
            let trimmed = rest.trim_start_matches(' ');
            let (at, found) = match trimmed.chars().next() {
                Some(c) => (text.len() - trimmed.len(), c),
                None => (text.len() - rest.len(), ' '),
            };
            return Err(unexpected(text, at, found));
        };
        Ok(Requirement {
            name,
            extras,
            clauses,
        })
    }

    /// The requirement of the guest's `install_pkg(name, version)`: `name`
    /// (optionally with extras, `pydantic[email]`) and `version`, which is
    /// `None` or empty for any version, a specifier when it starts with an
    /// operator (`>=2,<3`, `~=1.4`), and otherwise one exact version
    /// (`1.16.0` means `==1.16.0`).
    ///
    /// ```
    /// use goru_packages::Requirement;
    ///
    /// let exact = Requirement::from_name_version("six", Some("1.16.0"))?;
    /// assert_eq!(exact.to_string(), "six==1.16.0");
    /// let range = Requirement::from_name_version("attrs", Some(">=23, <25"))?;
    /// assert_eq!(range.to_string(), "attrs>=23,<25");
    /// assert_eq!(Requirement::from_name_version("six", None)?.to_string(), "six");
    /// assert!(Requirement::from_name_version("six==1.0", None).is_err());
    /// assert!(Requirement::from_name_version("six", Some("1.0; os_name=='nt'")).is_err());
    /// # Ok::<(), goru_packages::RequirementError>(())
    /// ```
    pub fn from_name_version(name: &str, version: Option<&str>) -> Result<Requirement, RequirementError> {
        check_text(name)?;
        let (name, extras, rest) = parse_name_and_extras(name)?;
        if let Some(c) = rest.chars().next() {
            let reason = if is_operator_start(c) {
                "give the version separately"
            } else {
                "a package name has only letters, digits, '.', '_' and '-'"
            };
            return Err(RequirementError::InvalidName {
                kind: "package name",
                name: format!("{name}{rest}"),
                reason,
            });
        }
        let clauses = match version {
            None | Some("") => Vec::new(),
            Some(version) => {
                check_text(version)?;
                if version.starts_with(is_operator_start) {
                    parse_specifier(version)?
                } else {
                    vec![("==", parse_version("==", version)?)]
                }
            }
        };
        let requirement = Requirement {
            name,
            extras,
            clauses,
        };
        let len = requirement.to_string().len();
        if len > MAX_TEXT {
            return Err(RequirementError::TooLong { len, max: MAX_TEXT });
        }
        Ok(requirement)
    }

    /// The package name as given (without extras or specifier).
    ///
    /// ```
    /// # use goru_packages::Requirement;
    /// assert_eq!(Requirement::parse("Python_Dateutil>=2")?.name(), "Python_Dateutil");
    /// # Ok::<(), goru_packages::RequirementError>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The package name normalised ([`normalize_name`]), for comparing
    /// packages.
    ///
    /// ```
    /// # use goru_packages::Requirement;
    /// assert_eq!(Requirement::parse("Python_Dateutil>=2")?.normalized_name(), "python-dateutil");
    /// # Ok::<(), goru_packages::RequirementError>(())
    /// ```
    pub fn normalized_name(&self) -> String {
        normalize_name(&self.name)
    }

    /// The extras asked for (`pydantic[email]` has `["email"]`).
    ///
    /// ```
    /// # use goru_packages::Requirement;
    /// assert_eq!(Requirement::parse("a[b,c]")?.extras(), ["b", "c"]);
    /// assert!(Requirement::parse("a")?.extras().is_empty());
    /// # Ok::<(), goru_packages::RequirementError>(())
    /// ```
    pub fn extras(&self) -> &[String] {
        &self.extras
    }

    /// The version specifier without spaces (`>=23,<25`), empty for any
    /// version.
    ///
    /// ```
    /// # use goru_packages::Requirement;
    /// assert_eq!(Requirement::parse("attrs >= 23 , < 25")?.specifier(), ">=23,<25");
    /// assert_eq!(Requirement::parse("attrs")?.specifier(), "");
    /// # Ok::<(), goru_packages::RequirementError>(())
    /// ```
    pub fn specifier(&self) -> String {
        let clauses: Vec<String> = self
            .clauses
            .iter()
            .map(|(op, version)| format!("{op}{version}"))
            .collect();
        clauses.join(",")
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if !self.extras.is_empty() {
            write!(f, "[{}]", self.extras.join(","))?;
        }
        f.write_str(&self.specifier())
    }
}

impl std::str::FromStr for Requirement {
    type Err = RequirementError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Requirement::parse(text)
    }
}

/// Checks done on the whole text before parsing, so the error names what
/// was attempted rather than the first odd character.
fn check_text(text: &str) -> Result<(), RequirementError> {
    if text.is_empty() {
        return Err(RequirementError::Empty);
    }
    if text.len() > MAX_TEXT {
        return Err(RequirementError::TooLong {
            len: text.len(),
            max: MAX_TEXT,
        });
    }
    let forbidden = |what| {
        Err(RequirementError::Forbidden {
            what,
            text: text.to_owned(),
        })
    };
    if text.starts_with('-') || text.contains(" -") {
        return forbidden("options (starting with '-')");
    }
    if text.contains("://") {
        return forbidden("URLs");
    }
    if text.contains('@') {
        return forbidden("direct references (NAME @ URL)");
    }
    if text.contains(';') {
        return forbidden("environment markers (;)");
    }
    let home = text.starts_with('~') && !text.starts_with("~=");
    if text.contains(['/', '\\']) || text.starts_with('.') || home {
        return forbidden("paths");
    }
    if let Some((at, found)) = text
        .char_indices()
        .find(|(_, c)| !c.is_ascii() || c.is_ascii_control())
    {
        return Err(unexpected(text, at, found));
    }
    if text.starts_with(' ') {
        return Err(unexpected(text, 0, ' '));
    }
    Ok(())
}

fn unexpected(text: &str, at: usize, found: char) -> RequirementError {
    RequirementError::UnexpectedCharacter {
        found,
        at,
        text: text.to_owned(),
    }
}

fn is_operator_start(c: char) -> bool {
    matches!(c, '=' | '!' | '<' | '>' | '~')
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// `NAME` then optional `[extra,...]`; returns them and the rest of `text`.
fn parse_name_and_extras(text: &str) -> Result<(String, Vec<String>, &str), RequirementError> {
    let end = text.find(|c| !is_name_char(c)).unwrap_or(text.len());
    let name = check_name("package name", &text[..end])?;
    let mut rest = &text[end..];
    let mut extras = Vec::new();
    if let Some(after) = rest.strip_prefix('[') {
        let close = after.find(']').ok_or_else(|| RequirementError::InvalidName {
            kind: "extra",
            name: after.to_owned(),
            reason: "the list of extras has no closing ']'",
        })?;
        for extra in after[..close].split(',') {
            if let Some(bad) = extra.chars().find(|&c| !is_name_char(c)) {
                let at = text.len() - after.len() + after.find(bad).unwrap_or(0);
                return Err(unexpected(text, at, bad));
            }
            extras.push(check_name("extra", extra)?);
        }
        rest = &after[close + 1..];
    }
    Ok((name, extras, rest))
}

/// `[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?`, at most [`MAX_NAME`] bytes
/// (the caller has already cut it at the first character outside the set).
fn check_name(kind: &'static str, name: &str) -> Result<String, RequirementError> {
    let invalid = |reason| RequirementError::InvalidName {
        kind,
        name: name.to_owned(),
        reason,
    };
    if name.is_empty() {
        return Err(if kind == "extra" {
            invalid("an extra's name is empty")
        } else {
            RequirementError::Empty
        });
    }
    if name.len() > MAX_NAME {
        return Err(invalid("longer than 100 bytes"));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return Err(invalid("it must begin and end with a letter or digit"));
    }
    Ok(name.to_owned())
}

/// Comma-separated `OP VERSION` clauses, spaces allowed around operators and
/// commas (but not at the end).
fn parse_specifier(text: &str) -> Result<Vec<(&'static str, String)>, RequirementError> {
    let invalid = |reason: String| RequirementError::InvalidSpecifier {
        specifier: text.trim_matches(' ').to_owned(),
        reason,
    };
    if text.ends_with(' ') {
        return Err(invalid("trailing spaces".into()));
    }
    let mut clauses = Vec::new();
    for clause in text.split(',') {
        let clause = clause.trim_matches(' ');
        if clause.is_empty() {
            return Err(invalid("an empty clause (stray comma)".into()));
        }
        let Some(op) = OPERATORS.iter().copied().find(|op| clause.starts_with(op)) else {
            let op: String = clause.chars().take_while(|&c| is_operator_start(c)).collect();
            let hint = match op.as_str() {
                "=" => "; use \"==\"",
                "" => "; expected one of ~= == != <= >= < > ===",
                _ => "",
            };
            return Err(invalid(format!("unknown operator {op:?}{hint}")));
        };
        let version = clause[op.len()..].trim_start_matches(' ');
        clauses.push((op, parse_version(op, version)?));
    }
    Ok(clauses)
}

/// A version after `op`: `[A-Za-z0-9._+!*-]`, at most [`MAX_VERSION`] bytes,
/// beginning with a letter or digit; a `.*` suffix only after `==` or `!=`.
fn parse_version(op: &str, version: &str) -> Result<String, RequirementError> {
    let invalid = |reason: String| RequirementError::InvalidSpecifier {
        specifier: format!("{op}{version}"),
        reason,
    };
    if version.is_empty() {
        return Err(invalid(format!("no version after {op:?}")));
    }
    if version.len() > MAX_VERSION {
        return Err(invalid(format!("the version is longer than {MAX_VERSION} bytes")));
    }
    if let Some(bad) = version
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '!' | '*' | '-')))
    {
        let reason = if bad == ' ' {
            "a space inside the version (clauses are separated by commas)".to_owned()
        } else {
            format!("unexpected character {bad:?} in the version")
        };
        return Err(invalid(reason));
    }
    if let Some(star) = version.find('*') {
        if star != version.len() - 1 || !version.ends_with(".*") {
            return Err(invalid("'*' may only end a version, as '.*'".into()));
        }
        if !matches!(op, "==" | "!=") {
            return Err(invalid(format!(
                "'.*' is only allowed after == or !=, not {op:?}"
            )));
        }
    }
    if !version.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(invalid("a version begins with a letter or digit".into()));
    }
    Ok(version.to_owned())
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_names() {
        assert_eq!(normalize_name("six"), "six");
        assert_eq!(normalize_name("Jinja2"), "jinja2");
        assert_eq!(normalize_name("python_dateutil"), "python-dateutil");
        assert_eq!(normalize_name("A._-B__c"), "a-b-c");
    }

    #[test]
    fn accepts_the_grammar() {
        for (text, canonical) in [
            ("six", "six"),
            ("six==1.16.0", "six==1.16.0"),
            ("attrs>=23,<25", "attrs>=23,<25"),
            ("attrs >= 23 , < 25", "attrs>=23,<25"),
            ("attrs>=23 ,<25", "attrs>=23,<25"),
            ("pydantic[email]<2", "pydantic[email]<2"),
            ("pydantic[email,timezone]", "pydantic[email,timezone]"),
            ("zope.interface==6.*", "zope.interface==6.*"),
            ("foo!=1.2.*", "foo!=1.2.*"),
            ("foo~=1.4", "foo~=1.4"),
            ("foo===1.0+local", "foo===1.0+local"),
            ("foo==1!2.0rc1.post2.dev3", "foo==1!2.0rc1.post2.dev3"),
            ("foo==1.0-1", "foo==1.0-1"),
            ("a", "a"),
            ("A_b-c.9", "A_b-c.9"),
        ] {
            let req = Requirement::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(req.to_string(), canonical, "{text:?}");
            assert_eq!(text.parse::<Requirement>().as_ref(), Ok(&req));
        }
        assert_eq!(
            Requirement::parse(&"a".repeat(100)).map(|r| r.name().len()),
            Ok(100)
        );
    }

    #[test]
    fn refuses_what_pip_would_take_but_we_must_not() {
        let forbidden = [
            "-r/etc/passwd",
            "--index-url=http://x",
            "six @ https://x",
            "six@https://x",
            "six; python_version<'3'",
            "six;python_version<'3'",
            "../x",
            "./six-1.0-py3-none-any.whl",
            "/tmp/six",
            "~/six",
            "C:\\six",
            "six==1.0 --index-url x",
            "six==1.0 -e x",
            "https://example.com/six.whl",
            "git+https://x/y",
        ];
        for text in forbidden {
            let error = Requirement::parse(text).expect_err(text);
            assert!(
                matches!(error, RequirementError::Forbidden { .. }),
                "{text:?}: {error:?}"
            );
        }
    }

    #[test]
    fn refuses_malformed_input_with_a_reason() {
        let cases = [
            ("", "empty"),
            (" six", "unexpected character ' '"),
            ("six ", "unexpected character ' ' at byte 3"),
            ("six 1.0", "unexpected character '1' at byte 4"),
            ("six\t==1.0", "'\\t'"),
            ("six\n", "'\\n'"),
            ("six==1.0\n--index-url", "'\\n'"),
            ("six==", "no version after \"==\""),
            ("six=1.0", "use \"==\""),
            ("six==1.0,", "empty clause"),
            ("six==1.0,,<2", "empty clause"),
            ("six==1.0 ", "trailing"),
            ("six==1.0 <2", "space inside the version"),
            ("six >=1.*", "only allowed after == or !="),
            ("six==1.*.2", "may only end a version"),
            ("six==*", "may only end a version"),
            ("six==.1", "begins with a letter or digit"),
            ("six==1.0$", "'$'"),
            ("six[", "closing"),
            ("six[]", "extra's name is empty"),
            ("six[a b]", "' '"),
            ("six[-a]", "begin and end"),
            ("six [a]", "'['"),
            ("six-", "begin and end"),
            ("_six", "begin and end"),
            ("six==1.0é", "'é'"),
            ("sïx", "'ï'"),
            ("six ~ 1", "unknown operator \"~\""),
            ("six>=1,foo", "expected one of"),
        ];
        for (text, needle) in cases {
            let error = Requirement::parse(text).expect_err(text).to_string();
            assert!(error.contains(needle), "{text:?}: {error}");
        }
        let long_name = "a".repeat(101);
        let error = Requirement::parse(&long_name).expect_err("long name").to_string();
        assert!(error.contains("longer than 100"), "{error}");
        let long = format!("six=={}", "1".repeat(65));
        assert!(
            Requirement::parse(&long)
                .expect_err("long version")
                .to_string()
                .contains("64")
        );
        let huge = format!("six>={}", ["1"; 100].join(","));
        assert!(matches!(
            Requirement::parse(&huge),
            Err(RequirementError::TooLong { .. })
        ));
    }

    #[test]
    fn name_and_version_from_the_guest() {
        let req = |name, version| Requirement::from_name_version(name, version).map(|r| r.to_string());
        assert_eq!(req("six", None).as_deref(), Ok("six"));
        assert_eq!(req("six", Some("")).as_deref(), Ok("six"));
        assert_eq!(req("six", Some("1.16.0")).as_deref(), Ok("six==1.16.0"));
        assert_eq!(req("six", Some("==1.16.0")).as_deref(), Ok("six==1.16.0"));
        assert_eq!(req("attrs", Some(">=23, <25")).as_deref(), Ok("attrs>=23,<25"));
        assert_eq!(req("six", Some("~=1.16")).as_deref(), Ok("six~=1.16"));
        assert_eq!(req("six", Some("1.*")).as_deref(), Ok("six==1.*"));
        assert_eq!(
            req("pydantic[email]", Some("1.10.0")).as_deref(),
            Ok("pydantic[email]==1.10.0")
        );
        for (name, version) in [
            ("six==1.0", None),
            ("six>=1", None),
            ("six ", None),
            ("", None),
            ("six", Some("1.0 --pre")),
            ("six", Some("1.0; os_name == 'nt'")),
            ("six", Some("@ https://x")),
            ("six", Some(" 1.0")),
            ("six", Some("1.0,<2")),
            ("six", Some("-1")),
            ("../six", None),
            ("-r", Some("/etc/passwd")),
        ] {
            assert!(
                Requirement::from_name_version(name, version).is_err(),
                "{name:?} {version:?}"
            );
        }
        let error = Requirement::from_name_version("six==1.0", None).expect_err("op in name");
        assert!(
            error.to_string().contains("give the version separately"),
            "{error}"
        );
    }
}
