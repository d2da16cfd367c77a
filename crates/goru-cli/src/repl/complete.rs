//! Tab completion in `goru repl`: the names in the session's scope (and the
//! attributes after a dot, in Python), asked of the session itself.

use goru::{Language, Session};
use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

/// Most candidates shown for one Tab.
const MAX_CANDIDATES: usize = 200;

/// The editor's helper: completes from the live session.
pub struct Names {
    language: &'static dyn Language,
    /// The session to ask; replaced when the REPL restarts it.
    pub session: Option<Session>,
}

impl Names {
    pub fn new(language: &'static dyn Language) -> Self {
        Self {
            language,
            session: None,
        }
    }

    /// The candidates for the word `text`, one per line of the guest's output.
    fn candidates(&self, text: &str) -> Vec<String> {
        let Some(session) = &self.session else {
            return Vec::new();
        };
        let Some(code) = query(self.language.name(), text) else {
            return Vec::new();
        };
        match session.run_blocking(&code) {
            Ok(result) if result.success() => {
                let mut names: Vec<String> = result
                    .stdout_lossy()
                    .split('\0')
                    .map(|name| name.trim_end_matches('\n'))
                    .filter(|name| name.starts_with(text) && !name.is_empty())
                    .map(str::to_owned)
                    .collect();
                names.sort();
                names.dedup();
                names.truncate(MAX_CANDIDATES);
                names
            }
            _ => Vec::new(),
        }
    }
}

/// Code that prints, NUL-separated, the completions of `text` without
/// binding any name in the session: in Python the globals, builtins and
/// keywords, or the attributes of the object a dotted name before the last
/// dot names (as python3's rlcompleter, which this CPython build lacks);
/// in JavaScript the global names.
fn query(language: &str, text: &str) -> Option<String> {
    // A JSON string is a valid string literal in both languages.
    let literal = serde_json::to_string(text).ok()?;
    Some(match language {
        "python" => format!(
            "(lambda t, g: print('\\0'.join(\
               [n for n in [*g, *dir(__import__('builtins')), *__import__('keyword').kwlist] if n.startswith(t)] \
               if '.' not in t else \
               [t.rsplit('.', 1)[0] + '.' + a for a in dir(eval(t.rsplit('.', 1)[0], g)) \
                if a.startswith(t.rsplit('.', 1)[1]) and (a[:1] != '_' or t.rsplit('.', 1)[1][:1] == '_')])))\
             ({literal}, globals())"
        ),
        "js" => format!(
            "console.log(Object.getOwnPropertyNames(globalThis).filter(n => n.startsWith({literal})).join('\\0'))"
        ),
        _ => return None,
    })
}

/// Where the word being completed starts: names and dots before `pos`.
fn word_start(line: &str, pos: usize) -> usize {
    line[..pos]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == '.' || *c == '$')
        .last()
        .map_or(pos, |(at, _)| at)
}

impl Completer for Names {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let start = word_start(line, pos);
        let text = &line[start..pos];
        if text.is_empty() {
            return Ok((pos, Vec::new()));
        }
        Ok((start, self.candidates(text)))
    }
}

impl Hinter for Names {
    type Hint = String;
}

impl Highlighter for Names {}

impl Validator for Names {}

impl Helper for Names {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_is_the_name_and_dots_before_the_cursor() {
        assert_eq!(word_start("print(os.pa", 11), 6);
        assert_eq!(word_start("x = abc", 7), 4);
        assert_eq!(word_start("", 0), 0);
        assert_eq!(word_start("f(", 2), 2);
    }

    #[test]
    fn queries_quote_the_text() {
        let code = query("python", "a\"b").expect("python");
        assert!(code.contains(r#""a\"b""#), "{code}");
        assert!(query("cobol", "x").is_none());
    }
}
