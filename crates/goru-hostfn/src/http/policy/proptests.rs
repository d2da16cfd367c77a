//! Property tests of the URL allow-list: whatever URL or allow-list entry is given, checking it
//! never panics, and a URL passes only if the host it will be resolved and connected as is an
//! allowed host or a subdomain of one, on an allowed port, without userinfo or odd address forms.

use std::net::IpAddr;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use url::{Host, Url};

use super::{AllowList, Target, check_redirect, check_url};

/// Labels that collide as text (`evil-example`, `examplecom`), differ only in case or width,
/// are numeric, empty, or IDNA.
const LABELS: &[&str] = &[
    "example",
    "EXAMPLE",
    "Example",
    "evil",
    "evil-example",
    "examplecom",
    "com",
    "COM",
    "org",
    "api",
    "a",
    "xn--bcher-kva",
    "bücher",
    "ＥＸＡＭＰＬＥ",
    "127",
    "0",
    "0x7f",
    "",
];

/// Allow-list labels: plain ASCII names.
const ENTRY_LABELS: &[&str] = &[
    "example",
    "com",
    "api",
    "evil-example",
    "org",
    "a",
    "xn--bcher-kva",
];

/// IP addresses, plain and in every form a URL parser may read as one.
const ADDRESSES: &[&str] = &[
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0x7f.0.0.1",
    "0177.0.0.1",
    "127.0.0.1.",
    "%31%32%37.0.0.1",
    "10.0.0.1",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::1%25eth0]",
];

/// Label separators: the ideographic full stop is one too, after IDNA mapping.
const HOSTILE_DOTS: &[&str] = &[".", ".", ".", "。"];

const SCHEMES: &[&str] = &["http", "https", "HTTP", "hTTps", "ftp", "file", "http:", ""];
const USERINFO: &[&str] = &["user@", "example.com@", ":@", "@", "u:p@", "example.com:80@"];
const PORTS: &[&str] = &[
    "", ":80", ":443", ":8080", ":", ":0", ":65536", ":08080", ":x", ":8080:80",
];
const TAILS: &[&str] = &[
    "",
    "/",
    "/example.com",
    "?x=example.com",
    "#@example.com",
    "/\\@example.com",
    "@example.com",
    "\\example.com",
    "/%2e%2e/",
    " ",
    "\t",
];

/// A name of `labels` joined by `dots`, sometimes with a trailing dot.
fn domain(labels: &'static [&'static str], dots: &'static [&'static str]) -> impl Strategy<Value = String> {
    (
        vec((select(labels), select(dots)), 1..5),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(parts, trailing_dot)| {
            let mut name = String::new();
            for (i, (label, dot)) in parts.iter().enumerate() {
                if i > 0 {
                    name.push_str(dot);
                }
                name.push_str(label);
            }
            if trailing_dot {
                name.push('.');
            }
            name
        })
}

/// Glue between labels: dots (the ideographic full stop is one too, after IDNA mapping), and
/// nothing or a hyphen, which make a different name that ends with the same text.
const GLUE: &[&str] = &[".", ".", ".", "。", "", "-"];

/// A host built around one of `names` (the allowed ones): labels glued before and after it,
/// empty ones included, or an unrelated name, or an address in any form.
fn host_near(names: Vec<String>) -> impl Strategy<Value = String> {
    let label = prop_oneof![3 => select(LABELS), 1 => Just("")];
    let glued = || vec((label.clone(), select(GLUE)), 0..3);
    let after = prop_oneof![2 => Just(Vec::new()), 1 => glued()];
    let around = (glued(), select(names), after, prop::bool::weighted(0.2)).prop_map(
        |(before, name, after, trailing_dot)| {
            let mut host = String::new();
            for (label, glue) in before {
                host.push_str(label);
                host.push_str(glue);
            }
            host.push_str(&name);
            for (label, glue) in after {
                host.push_str(glue);
                host.push_str(label);
            }
            if trailing_dot {
                host.push('.');
            }
            host
        },
    );
    prop_oneof![
        4 => around,
        1 => domain(LABELS, HOSTILE_DOTS),
        1 => select(ADDRESSES).prop_map(str::to_owned),
    ]
}

/// Mostly one of `plain`, so that the host is what decides; sometimes one of `hostile`.
fn mostly(
    plain: &'static [&'static str],
    hostile: &'static [&'static str],
) -> impl Strategy<Value = &'static str> {
    prop_oneof![5 => select(plain), 1 => select(hostile)]
}

/// URLs around `host`, mostly on one of `ports` (`:port` or empty).
fn url_with(host: impl Strategy<Value = String>, ports: Vec<String>) -> impl Strategy<Value = String> {
    let port = prop_oneof![5 => select(ports), 1 => select(PORTS).prop_map(str::to_owned)];
    (
        mostly(&["http", "https"], SCHEMES),
        mostly(&[""], USERINFO),
        host,
        port,
        mostly(&["", "/", "/a?b#c"], TAILS),
    )
        .prop_map(|(scheme, userinfo, host, port, tail)| format!("{scheme}://{userinfo}{host}{port}{tail}"))
}

/// Allow-list entries, and a hostile URL built around their names and ports.
fn entries_and_url(min_entries: usize) -> impl Strategy<Value = (Vec<Allowed>, String)> {
    vec(entry(), min_entries..4).prop_flat_map(|entries| {
        let mut names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
        // Also a name no entry allows, with no entries at all.
        names.push("example.com".to_owned());
        let mut ports: Vec<String> = entries
            .iter()
            .filter_map(|e| e.port)
            .map(|p| format!(":{p}"))
            .collect();
        ports.push(String::new());
        let url = prop_oneof![
            8 => url_with(host_near(names.clone()), ports),
            1 => (mostly(&[""], USERINFO), host_near(names), select(PORTS), select(TAILS))
                .prop_map(|(userinfo, host, port, tail)| format!("//{userinfo}{host}{port}{tail}")),
            1 => select(TAILS).prop_map(str::to_owned),
            1 => any::<String>(),
        ];
        (Just(entries), url)
    })
}

/// An allow-list entry as an embedder writes it, and what it must mean.
#[derive(Debug, Clone)]
struct Allowed {
    text: String,
    /// The host as written, without the port.
    name: String,
    host: Result<String, IpAddr>,
    port: Option<u16>,
}

fn entry() -> impl Strategy<Value = Allowed> {
    let port = prop_oneof![Just(None), select(vec![80u16, 443, 8080]).prop_map(Some)];
    let ip = select(vec!["127.0.0.1", "10.0.0.1", "::1"]).prop_map(|ip| ip.parse::<IpAddr>().unwrap());
    let host = prop_oneof![
        3 => (vec(select(ENTRY_LABELS), 1..4), any::<bool>(), any::<bool>()).prop_map(|(labels, upper, dot)| {
            let name = labels.join(".");
            let written = if upper { name.to_ascii_uppercase() } else { name.clone() };
            (format!("{written}{}", if dot { "." } else { "" }), Ok(name))
        }),
        1 => ip.prop_map(|ip| (if ip.is_ipv6() { format!("[{ip}]") } else { ip.to_string() }, Err(ip))),
    ];
    (host, port).prop_map(|((written, host), port)| Allowed {
        text: port.map_or_else(|| written.clone(), |p| format!("{written}:{p}")),
        name: written,
        host,
        port,
    })
}

fn allow_list(entries: &[Allowed]) -> AllowList {
    AllowList::new(&entries.iter().map(|e| e.text.clone()).collect::<Vec<_>>()).unwrap()
}

/// Whether `host` is `allowed` or a subdomain of it: it ends with the same labels, and has no
/// empty label (which no resolver would treat as the same host).
fn is_same_or_subdomain(host: &str, allowed: &str) -> bool {
    let host: Vec<&str> = host.strip_suffix('.').unwrap_or(host).split('.').collect();
    let allowed: Vec<&str> = allowed.split('.').collect();
    host.iter().all(|label| !label.is_empty()) && host.ends_with(&allowed)
}

/// The properties of every target that passed: it is what will be resolved and connected to,
/// and an entry allows exactly that host and port.
fn check_target(written: &str, target: &Target, entries: &[Allowed]) -> Result<(), TestCaseError> {
    let url = &target.url;
    prop_assert!(matches!(url.scheme(), "http" | "https"), "{written:?}");
    prop_assert!(
        url.username().is_empty() && url.password().is_none(),
        "{written:?}"
    );
    prop_assert_eq!(Some(target.host.as_str()), url.host_str());
    prop_assert_eq!(Some(target.port), url.port_or_known_default());
    // What the HTTP client parses from the URL is the host that was checked.
    let again = Url::parse(url.as_str()).unwrap();
    prop_assert_eq!(again.host_str(), url.host_str());
    prop_assert_eq!(again.port_or_known_default(), Some(target.port));
    let host = url.host().unwrap();
    let allowed_by = |entry: &Allowed| {
        let port_ok = match entry.port {
            Some(port) => port == target.port,
            None => url.port().is_none(),
        };
        let host_ok = match (&entry.host, &host) {
            (Ok(name), Host::Domain(domain)) => {
                target.literal.is_none() && is_same_or_subdomain(domain, name)
            }
            (Err(ip), Host::Ipv4(_) | Host::Ipv6(_)) => target.literal == Some(*ip),
            _ => false,
        };
        port_ok && host_ok
    };
    prop_assert!(
        entries.iter().any(allowed_by),
        "{written:?} passed as {url} under {entries:?}"
    );
    Ok(())
}

/// The authority as written, in `scheme://authority...` or `//authority...`; empty without one.
fn authority(written: &str) -> &str {
    let after = match written.split_once("//") {
        Some(("", after)) => after,
        Some((scheme, after))
            if scheme.strip_suffix(':').is_some_and(|s| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            }) =>
        {
            after
        }
        _ => "",
    };
    &after[..after.find(['/', '?', '#']).unwrap_or(after.len())]
}

/// The host part of the authority, as written.
fn written_host(written: &str) -> &str {
    let authority = authority(written);
    match authority.strip_prefix('[') {
        Some(_) => &authority[..authority.find(']').map_or(authority.len(), |end| end + 1)],
        None => authority.split(':').next().unwrap_or_default(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn a_hostile_url_passes_only_for_an_allowed_host_and_port(
        (entries, url) in entries_and_url(0),
    ) {
        let allow = allow_list(&entries);
        if let Ok(target) = check_url(&url, &allow, 8192) {
            check_target(&url, &target, &entries)?;
            prop_assert!(!authority(&url).contains('@'), "{:?}", url);
            // An address passes only as written plainly, never as a number or a name.
            match target.url.host().unwrap() {
                Host::Ipv4(ip) => prop_assert_eq!(written_host(&url), ip.to_string(), "{:?}", url),
                Host::Ipv6(ip) => {
                    let written = written_host(&url).trim_start_matches('[').trim_end_matches(']');
                    prop_assert_eq!(written.parse().ok(), Some(ip), "{:?}", url);
                }
                Host::Domain(_) => {}
            }
        }
    }

    #[test]
    fn a_hostile_redirect_passes_only_for_an_allowed_host_and_port(
        (entries, location) in entries_and_url(1),
        from_https in any::<bool>(),
    ) {
        let allow = allow_list(&entries);
        let from = Url::parse(if from_https { "https://example.com:8080/a/b" } else { "http://example.com/a/b" }).unwrap();
        if let Ok(target) = check_redirect(&from, &location, &allow, 8192) {
            check_target(&location, &target, &entries)?;
            prop_assert!(!authority(&location).contains('@'), "{:?}", location);
            prop_assert!(!from_https || target.url.scheme() == "https", "{:?}", location);
        }
    }

    /// Plain URLs of allowed names are allowed exactly when an entry says so.
    #[test]
    fn a_plain_url_passes_exactly_when_an_entry_allows_it(
        entries in vec(entry(), 1..4),
        scheme in select(&["http", "https", "HTTPS"][..]),
        name in domain(ENTRY_LABELS, &["."]),
        port in prop_oneof![Just(None), select(vec![80u16, 443, 8080, 8443]).prop_map(Some)],
    ) {
        let url = format!("{scheme}://{name}{}/", port.map_or_else(String::new, |p| format!(":{p}")));
        let default_port = if scheme.eq_ignore_ascii_case("https") { 443 } else { 80 };
        let effective = port.unwrap_or(default_port);
        let expected = entries.iter().any(|e| {
            let port_ok = match e.port {
                Some(p) => p == effective,
                None => effective == default_port,
            };
            port_ok && e.host.as_ref().is_ok_and(|allowed| is_same_or_subdomain(&name.to_ascii_lowercase(), allowed))
        });
        prop_assert_eq!(check_url(&url, &allow_list(&entries), 8192).is_ok(), expected, "{} under {:?}", url, entries);
    }

    #[test]
    fn any_allow_list_entry_is_parsed_or_refused(
        text in prop_oneof![domain(LABELS, HOSTILE_DOTS), select(ADDRESSES).prop_map(str::to_owned), any::<String>()],
        port in select(PORTS),
    ) {
        let _ = AllowList::new(&[format!("{text}{port}")]);
    }
}
