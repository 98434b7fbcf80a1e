//! The client's address: the socket's peer, or — only when that peer is a trusted proxy — the
//! address the proxies recorded in `X-Forwarded-For`.

use std::net::IpAddr;

/// An address block such as `10.0.0.0/8` or `fd00::/8` (a bare address is a block of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not an address block (e.g. 10.0.0.0/8 or fd00::/8)");
        let (addr, bits) = match s.trim().split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (s.trim(), None),
        };
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Self { net, bits })
    }
}

impl Cidr {
    /// Whether `ip` is in this block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.bits)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The client of a request from `peer` with these `X-Forwarded-For` values: walking the
/// recorded hops from the nearest, the first address that is not a trusted proxy. From an
/// untrusted peer the header is ignored (anyone can write it).
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &[Cidr],
) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.rev().flat_map(|v| v.rsplit(',')) {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else { return client };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    #[test]
    fn blocks_contain_what_they_say() {
        let b: Cidr = "10.1.0.0/16".parse().expect("a block");
        assert!(b.contains(ip("10.1.200.3")) && !b.contains(ip("10.2.0.1")));
        assert!(b.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped IPv6");
        let one: Cidr = "192.168.0.7".parse().expect("an address");
        assert!(one.contains(ip("192.168.0.7")) && !one.contains(ip("192.168.0.8")));
        let v6: Cidr = "fd00::/8".parse().expect("a v6 block");
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        let all: Cidr = "0.0.0.0/0".parse().expect("everything");
        assert!(all.contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "10.0.0/8", "x", "::/129", ""] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_peer() {
        let trusted: Vec<Cidr> = vec!["10.0.0.0/8".parse().expect("a block")];
        // Untrusted peer: the header is whatever the client wrote.
        assert_eq!(
            client_ip(ip("203.0.113.9"), ["1.2.3.4"].into_iter(), &trusted),
            ip("203.0.113.9")
        );
        // Through the balancer: the address it recorded.
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["198.51.100.7"].into_iter(), &trusted),
            ip("198.51.100.7")
        );
        // A client's forged entries sit left of what the trusted proxies recorded.
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["1.1.1.1, 198.51.100.7, 10.0.0.3"].into_iter(), &trusted),
            ip("198.51.100.7")
        );
        // Several headers are one list, in order.
        assert_eq!(
            client_ip(ip("10.0.0.2"), ["1.1.1.1", "198.51.100.7"].into_iter(), &trusted),
            ip("198.51.100.7")
        );
        // Garbage in the header: the last good address.
        assert_eq!(client_ip(ip("10.0.0.2"), ["nonsense"].into_iter(), &trusted), ip("10.0.0.2"));
        // No trusted proxies: never the header.
        assert_eq!(client_ip(ip("10.0.0.2"), ["198.51.100.7"].into_iter(), &[]), ip("10.0.0.2"));
    }
}
