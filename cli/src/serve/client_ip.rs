//! Who is asking: the client's IP address (behind trusted proxies only), its rate limit, and
//! the salted hash `GET /api/whoami` answers with. The raw address is never stored or logged.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The client's address: the peer, unless the peer is a trusted proxy, in which case the
/// rightmost address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.ip();
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

/// HMAC-SHA256 of the address's text under `secret`, as lower-case hex.
pub fn ip_hash(secret: &[u8], ip: IpAddr) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(ip.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(xff).unwrap());
        h
    }

    #[test]
    fn forwarded_for_is_trusted_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let peer = SocketAddr::new(proxy, 5000);
        let stranger = SocketAddr::new("192.0.2.9".parse().unwrap(), 5000);
        let h = headers("203.0.113.7, 10.0.0.1");
        assert_eq!(
            client_ip(peer, &h, &[proxy]),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_ip(stranger, &h, &[proxy]),
            stranger.ip(),
            "spoofed header ignored"
        );
        assert_eq!(client_ip(peer, &HeaderMap::new(), &[proxy]), proxy);
        assert_eq!(client_ip(peer, &h, &[]), proxy);
    }

    #[test]
    fn the_hash_is_keyed_and_reveals_nothing() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let a = ip_hash(b"secret-a", ip);
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, ip_hash(b"secret-a", ip));
        assert_ne!(a, ip_hash(b"secret-b", ip));
        assert_ne!(a, ip_hash(b"secret-a", "203.0.113.8".parse().unwrap()));
        assert!(!a.contains("203"));
    }
}
