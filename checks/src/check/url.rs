//! Just enough of URLs for HTTP checks: `http[s]://HOST[:PORT]/PATH`,
//! relative references in redirects, and resolving the host.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use super::outcome::{CheckError, CheckResult};

/// An absolute http or https URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    /// Whether the scheme is https.
    pub(crate) https: bool,
    /// The host: a name, or an address (IPv6 without brackets).
    pub(crate) host: String,
    /// The port (explicit or the scheme's).
    pub(crate) port: u16,
    /// Path and query, starting with `/`.
    pub(crate) path: String,
}

impl Url {
    /// The URL of `path` on the server at `addr`.
    pub(crate) fn for_address(https: bool, addr: SocketAddr, path: &str) -> Url {
        Url {
            https,
            host: addr.ip().to_string(),
            port: addr.port(),
            path: path.to_string(),
        }
    }

    /// Parses an absolute http or https URL; anything else is `None`.
    pub(crate) fn parse(text: &str) -> Option<Url> {
        let (https, rest) = if let Some(rest) = strip_prefix_ignore_case(text, "http://") {
            (false, rest)
        } else {
            (true, strip_prefix_ignore_case(text, "https://")?)
        };
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(at) => (rest.get(..at)?, rest.get(at..)?),
            None => (rest, "/"),
        };
        let path = path.split('#').next().unwrap_or("/");
        let path = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        let authority = authority.rsplit('@').next()?;
        let default_port = if https { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(p) if !p.is_empty() => p.parse().ok()?,
                _ if after.is_empty() || after == ":" => default_port,
                _ => return None,
            };
            (host.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((host, "")) => (host.to_string(), default_port),
                Some((host, port)) => (host.to_string(), port.parse().ok()?),
                None => (authority.to_string(), default_port),
            }
        };
        if host.is_empty() {
            return None;
        }
        Some(Url {
            https,
            host,
            port,
            path,
        })
    }

    /// The target of a redirect to `location` from this URL.
    pub(crate) fn join(&self, location: &str) -> Option<Url> {
        let location = location.trim();
        if let Some(url) = Url::parse(location) {
            return Some(url);
        }
        if let Some(rest) = location.strip_prefix("//") {
            let scheme = if self.https { "https://" } else { "http://" };
            return Url::parse(&format!("{scheme}{rest}"));
        }
        if location.contains("://") {
            return None;
        }
        let path = if location.starts_with('/') {
            location.to_string()
        } else {
            let base = self.path.split('?').next().unwrap_or("/");
            let dir = base.rsplit_once('/').map_or("", |(dir, _)| dir);
            format!("{dir}/{location}")
        };
        Some(Url {
            path,
            ..self.clone()
        })
    }

    /// `host[:port]` as a Host header writes it (the port only when not the
    /// scheme's default).
    pub(crate) fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == if self.https { 443 } else { 80 } {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The socket address to connect to (a host name is looked up).
    pub(crate) async fn resolve(&self) -> CheckResult<SocketAddr> {
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, self.port));
        }
        tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(CheckError::io("looking up the URL's host"))?
            .next()
            .ok_or_else(|| CheckError::Answer(format!("{} has no address", self.host)))
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}{}", self.authority(), self.path)
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_ports_and_paths() {
        let u = Url::parse("http://10.0.0.1:8080/a/b?x=1").unwrap();
        assert_eq!(
            (u.https, u.host.as_str(), u.port, u.path.as_str()),
            (false, "10.0.0.1", 8080, "/a/b?x=1")
        );
        let u = Url::parse("HTTPS://[2001:db8::1]/").unwrap();
        assert_eq!(
            (u.https, u.host.as_str(), u.port),
            (true, "2001:db8::1", 443)
        );
        assert_eq!(u.to_string(), "https://[2001:db8::1]/");
        let u = Url::parse("http://example.com").unwrap();
        assert_eq!(u.path, "/");
        assert_eq!(Url::parse("ftp://x/"), None);
        assert_eq!(Url::parse("http://:80/"), None);
        assert_eq!(Url::parse("http://x:port/"), None);
        assert_eq!(Url::parse("http://[::1/"), None);
    }

    #[test]
    fn joins_redirect_locations() {
        let base = Url::parse("http://10.0.0.1:81/dir/page.html?q").unwrap();
        assert_eq!(
            base.join("/other").unwrap().to_string(),
            "http://10.0.0.1:81/other"
        );
        assert_eq!(base.join("next.html").unwrap().path, "/dir/next.html");
        assert_eq!(base.join("//h:9/p").unwrap().to_string(), "http://h:9/p");
        assert_eq!(base.join("https://h/").unwrap().to_string(), "https://h/");
        assert_eq!(base.join("gopher://h/"), None);
    }
}
