//! Who is calling, by network address: the peer of the TCP connection, or, when that peer is one
//! of the reverse proxies the configuration trusts, the client the proxy names in `Forwarded`
//! (RFC 7239) or `X-Forwarded-For`.
//!
//! Those headers are only ever read from a trusted peer: anyone else could write any address in
//! them. A chain of proxies appends one address each, so the list is read from the right, past
//! every trusted address, to the first one that is not: the nearest hop no proxy of ours vouches
//! for. Whatever that hop wrote further left is its own claim and is ignored.

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, HeaderName};
use ipnet::IpNet;

/// The proxies whose forwarding headers are believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses addresses (`10.0.0.7`, `::1`) and networks (`10.0.0.0/8`, `fd00::/8`).
    pub fn parse<S: AsRef<str>>(list: &[S]) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for raw in list
            .iter()
            .map(|s| s.as_ref().trim())
            .filter(|s| !s.is_empty())
        {
            let net = match raw.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => raw.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
                    format!("{raw:?} is not an address or a network like 10.0.0.0/8")
                })?,
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client's address for a request that arrived from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_for(headers).unwrap_or_else(|| x_forwarded_for(headers));
        let mut nearest = peer;
        for hop in hops.iter().rev() {
            match hop {
                // A hop that hides its address ("unknown", "_hidden"): the proxy after it is
                // the last one known.
                None => return nearest,
                Some(address) if self.trusts(*address) => nearest = *address,
                Some(address) => return *address,
            }
        }
        nearest
    }
}

/// IPv4 addresses that arrive mapped into IPv6 (`::ffff:192.0.2.1`) as plain IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

fn header_values<'a>(headers: &'a HeaderMap, name: &HeaderName) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
}

/// The `for=` addresses of `Forwarded`, in order; `None` when the header is absent.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let name = HeaderName::from_static("forwarded");
    if !headers.contains_key(&name) {
        return None;
    }
    let hops = header_values(headers, &name)
        .map(|element| {
            element.split(';').find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| node(value.trim().trim_matches('"')))
            })
        })
        .map(Option::flatten)
        .collect();
    Some(hops)
}

/// The addresses of `X-Forwarded-For`, in order.
fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    header_values(headers, &HeaderName::from_static("x-forwarded-for"))
        .map(|hop| node(hop.trim()))
        .collect()
}

/// An address as forwarding headers write it: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`,
/// `[2001:db8::1]:4711` or a bare IPv6 address.
fn node(raw: &str) -> Option<IpAddr> {
    if let Ok(address) = raw.parse::<IpAddr>() {
        return Some(canonical(address));
    }
    if let Ok(socket) = raw.parse::<SocketAddr>() {
        return Some(canonical(socket.ip()));
    }
    let bracketed = raw.strip_prefix('[')?.split(']').next()?;
    bracketed.parse::<IpAddr>().ok().map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    #[test]
    fn headers_from_untrusted_peers_are_ignored() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        let forged = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            proxies.client(ip("198.51.100.7"), &forged),
            ip("198.51.100.7")
        );
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("10.0.0.1"), &forged), ip("10.0.0.1"));
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse(&["10.0.0.1", "10.0.1.0/24"]).unwrap();
        // The client claims to be 1.1.1.1; the first proxy saw 203.0.113.9, the second the first.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.1.5")]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &chain), ip("203.0.113.9"));
        let split = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &split), ip("203.0.113.9"));
        // Nothing forwarded: the proxy itself is the caller.
        assert_eq!(
            proxies.client(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn forwarded_is_preferred_and_read_in_all_its_forms() {
        let proxies = TrustedProxies::parse(&["127.0.0.1", "::1"]).unwrap();
        let both = headers(&[
            ("forwarded", "for=192.0.2.60;proto=https;by=203.0.113.43"),
            ("x-forwarded-for", "198.51.100.1"),
        ]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &both), ip("192.0.2.60"));
        let v6 = headers(&[("forwarded", r#"For="[2001:db8:cafe::17]:4711""#)]);
        assert_eq!(proxies.client(ip("::1"), &v6), ip("2001:db8:cafe::17"));
        let port = headers(&[("forwarded", r#"for="192.0.2.43:47011", for=127.0.0.1"#)]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &port), ip("192.0.2.43"));
        let hidden = headers(&[("forwarded", "for=_hidden, for=127.0.0.1")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &hidden), ip("127.0.0.1"));
        let mapped = headers(&[("x-forwarded-for", "::ffff:192.0.2.1")]);
        assert_eq!(
            proxies.client(ip("::ffff:127.0.0.1"), &mapped),
            ip("192.0.2.1")
        );
    }

    #[test]
    fn the_setting_is_checked() {
        assert!(TrustedProxies::parse(&["10.0.0.0/8", " ::1 ", ""]).is_ok());
        for bad in ["10.0.0.0/33", "proxy.local", "10.0.0"] {
            assert!(TrustedProxies::parse(&[bad]).is_err(), "{bad}");
        }
    }
}
