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
    fn the_hash_is_hmac_sha256_of_the_address_text() {
        // Computed independently: Python's hmac.new(key, text, hashlib.sha256).hexdigest().
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(
            ip_hash(b"secret-a", v4),
            "9b10b2107d57d3448ef2683d760a5571325e17fece6416ab97259ec457edd307"
        );
        assert_eq!(
            ip_hash(b"secret-a", v6),
            "83a6d7c7087fe405deaf58b4773bd0244d70adb9e6759aea38150ba62f18050b"
        );
    }

    #[test]
    fn without_the_secret_the_hash_cannot_be_recomputed() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        // Hashing every address without the key (a dictionary attack) finds nothing: the
        // answer is not the plain SHA-256 of the address.
        assert_ne!(
            ip_hash(b"secret-a", ip),
            "fec52565aa0cf18f57d7cf5b3ac728503b8992d2d6f7d46da1d1201090902b02"
        );
        assert_ne!(ip_hash(b"secret-a", ip), ip_hash(b"secret-b", ip));
    }
}
