//! Name resolution that refuses non-public addresses and pins each connection
//! to the addresses it checked.

use std::error::Error;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

/// Whether a resolved address must not be connected to: anything that is not
/// a public unicast address (loopback, private, link-local and cloud metadata,
/// shared, multicast, reserved...), including IPv6 forms that embed such an
/// IPv4 address.
pub(crate) fn is_refused(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_refused_v4(v4),
        IpAddr::V6(v6) => is_refused_v6(v6),
    }
}

fn is_refused_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0 // "this network"; 0.0.0.0 reaches the local host on Linux
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // includes the metadata address 169.254.169.254
        || (a == 100 && (b & 0xc0) == 64) // shared address space (CGNAT), 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || (a == 198 && (b & 0xfe) == 18) // benchmarking, 198.18/15
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || ip.is_multicast()
        || a >= 240 // reserved, and the broadcast address
}

fn is_refused_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_refused_v4(v4);
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    s[..6] == [0; 6] // unspecified, loopback and the deprecated IPv4-compatible ::a.b.c.d
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] && is_refused_v4(embedded(s[6], s[7]))) // NAT64
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64, 64:ff9b:1::/48
        || (s[0] == 0x100 && s[1..4] == [0; 3]) // discard-only, 100::/64
        || (s[0] == 0x2001 && s[1] == 0) // Teredo, which tunnels to an IPv4 address
        || (s[0] == 0x2001 && s[1] == 0xdb8) // documentation
        || (s[0] == 0x2002 && is_refused_v4(embedded(s[1], s[2]))) // 6to4
        || (s[0] & 0xfe00) == 0xfc00 // unique local, fc00::/7, includes fd00:ec2::254
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // deprecated site-local
        || (s[0] & 0xff00) == 0xff00 // multicast
}

/// The error a [`PinnedResolver`] refuses with, so that the client can tell a
/// refusal apart from a failed lookup once ureq has wrapped it.
#[derive(Debug)]
pub(crate) struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("address refused")
    }
}

impl Error for Refused {}

/// Whether an I/O error is a [`PinnedResolver`] refusal.
pub(crate) fn is_refusal(err: &io::Error) -> bool {
    err.get_ref().is_some_and(|inner| inner.is::<Refused>())
}

fn refused() -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, Refused)
}

/// The resolver of one request hop: it answers only for the host and port of
/// the URL that passed the allow-list, and ureq connects only to the
/// addresses it returns, so what was checked is what is connected to.
#[derive(Debug)]
pub(crate) struct PinnedResolver {
    // What ureq asks for: the URL's host (IPv6 in brackets), a colon, the port.
    netloc: String,
    host: String,
    port: u16,
    literal: Option<IpAddr>,
}

impl PinnedResolver {
    /// A resolver for a domain, whose addresses are looked up and checked.
    pub(crate) fn domain(domain: &str, port: u16) -> Self {
        PinnedResolver {
            netloc: format!("{domain}:{port}"),
            host: domain.to_string(),
            port,
            literal: None,
        }
    }

    /// A resolver for an IP address written in the URL and found on the
    /// allow-list: the embedder granted that very address, so it is used as
    /// is, even if it is loopback or private.
    pub(crate) fn literal(ip: IpAddr, port: u16) -> Self {
        let netloc = match ip {
            IpAddr::V4(v4) => format!("{v4}:{port}"),
            IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        };
        PinnedResolver {
            netloc,
            host: ip.to_string(),
            port,
            literal: Some(ip),
        }
    }
}

impl ureq::Resolver for PinnedResolver {
    fn resolve(&self, netloc: &str) -> io::Result<Vec<SocketAddr>> {
        // With no proxy, ureq only asks for the URL's own host; anything else
        // was not checked against the allow-list.
        if netloc != self.netloc {
            return Err(refused());
        }
        if let Some(ip) = self.literal {
            return Ok(vec![SocketAddr::new(ip, self.port)]);
        }
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port).to_socket_addrs()?.collect();
        // One refused address refuses the name: a name that mixes public and
        // internal addresses is a rebinding attempt, not an accident.
        if addrs.iter().any(|a| is_refused(a.ip())) {
            return Err(refused());
        }
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::Resolver;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_refused() {
        for s in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.170",
            "192.0.2.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.1",
            "203.0.113.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(is_refused(ip(s)), "{s} should be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for s in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "169.253.255.255",
            "198.17.255.255",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(!is_refused(ip(s)), "{s} should pass");
        }
    }

    #[test]
    fn a_literal_resolves_to_itself_without_checks() {
        let r = PinnedResolver::literal(ip("127.0.0.1"), 8080);
        assert_eq!(
            r.resolve("127.0.0.1:8080").unwrap(),
            [SocketAddr::from(([127, 0, 0, 1], 8080))]
        );
        let r6 = PinnedResolver::literal(ip("::1"), 81);
        assert_eq!(
            r6.resolve("[::1]:81").unwrap(),
            ["[::1]:81".parse::<SocketAddr>().unwrap()]
        );
    }

    #[test]
    fn any_other_name_is_refused() {
        let r = PinnedResolver::literal(ip("127.0.0.1"), 8080);
        for other in ["127.0.0.1:8081", "10.0.0.1:8080", "proxy.example:3128", ""] {
            assert!(is_refusal(&r.resolve(other).unwrap_err()), "{other}");
        }
        let d = PinnedResolver::domain("example.com", 443);
        assert!(is_refusal(&d.resolve("example.org:443").unwrap_err()));
    }

    #[test]
    fn a_name_resolving_to_loopback_is_refused() {
        let r = PinnedResolver::domain("localhost", 80);
        assert!(is_refusal(&r.resolve("localhost:80").unwrap_err()));
    }

    #[test]
    fn a_lookup_failure_is_not_a_refusal() {
        assert!(!is_refusal(&io::Error::new(
            io::ErrorKind::NotFound,
            "no such host"
        )));
        assert!(!is_refusal(&io::Error::from(io::ErrorKind::PermissionDenied)));
    }
}
