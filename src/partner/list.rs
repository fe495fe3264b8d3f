//! The partner list, `<data>/partners.toml` (0600): the 911 centres and agencies this desk
//! exchanges incidents with over NENA-STA-024, configured like peers.
//!
//! ```toml
//! listen = "0.0.0.0:7443"            # where partners connect (wss://…/IncidentData/ent)
//! authority = "/etc/switchboard/pca.pem" # optional: a CA whose certificates are accepted
//! area = ["Millbrook", "Kodiak"]      # optional: the towns this centre serves; a request for
//!                                     # service elsewhere is refused (403, not our area)
//!
//! [[partner]]
//! name = "metro-911"
//! url = "wss://cad.metro.example:7443/IncidentData/ent"
//! fingerprint = "JUVL-3TUT-…"          # pinned, or "authority": a certificate from it for the URL's host
//! subscribe = "new"                   # take its new incidents as pending calls
//! share = "handoffs"                  # what it may see here: "handoffs" (default) or "all"
//! ```
//!
//! Rewritten whole and atomically on every change, like `peers.toml`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::sync::peers::quoted;
use crate::sync::{Fingerprint, SyncError};

/// How a partner proves who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Its certificate's SHA-256, as for peers.
    Pinned(Fingerprint),
    /// Any certificate chained to the configured authority that names the URL's host.
    Authority,
}

impl Trust {
    fn parse(text: &str) -> Result<Trust, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("authority") || t.eq_ignore_ascii_case("ca") {
            return Ok(Trust::Authority);
        }
        t.parse::<Fingerprint>()
            .map(Trust::Pinned)
            .map_err(|_| format!("'{t}' is neither a fingerprint nor 'authority'"))
    }

    fn word(&self) -> String {
        match self {
            Trust::Pinned(fp) => fp.to_string(),
            Trust::Authority => "authority".to_owned(),
        }
    }
}

/// What a partner may see of this desk's calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Share {
    /// Only calls it handed in or that were handed out to it.
    Handoffs,
    /// Every call.
    All,
}

/// One partner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partner {
    pub name: String,
    /// `wss://host:port/IncidentData/ent`.
    pub url: String,
    pub trust: Trust,
    /// Subscribe to its `new` incidents and take each as a pending call.
    pub subscribe_new: bool,
    pub share: Share,
}

impl Partner {
    /// `host:port` of the URL.
    pub fn addr(&self) -> String {
        parse_url(&self.url).map_or_else(|_| String::new(), |u| format!("{}:{}", u.host, u.port))
    }

    /// The host of the URL.
    pub fn host(&self) -> String {
        parse_url(&self.url).map_or_else(|_| String::new(), |u| u.host)
    }
}

/// The parts of a `wss://` URL that matter here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    pub path: String,
}

/// `wss://host[:port]/path`; the port defaults to 443, the path to `/IncidentData/ent`.
pub fn parse_url(text: &str) -> Result<Url, String> {
    let text = text.trim();
    let bad = |why: &str| format!("bad partner URL '{text}': {why}");
    let rest = text
        .strip_prefix("wss://")
        .ok_or_else(|| bad("it must start with wss:// (TLS is required)"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
            let port = p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad("the port must be 1 to 65535"))?;
            (h, port)
        }
        _ => (authority, 443),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
    {
        return Err(bad("the host must be a name or an IP address"));
    }
    let path = if path.is_empty() {
        super::PATH.to_owned()
    } else {
        path.to_owned()
    };
    if path.chars().any(|c| c.is_control() || c == ' ') {
        return Err(bad("the path holds spaces or control characters"));
    }
    Ok(Url {
        host: host.to_owned(),
        port,
        path,
    })
}

/// The partner list of one data dir.
#[derive(Clone, Debug, Default)]
pub struct Partners {
    path: PathBuf,
    /// Where partners connect; none: this desk only dials out.
    pub listen: Option<String>,
    /// A CA certificate file (PEM) whose certificates are accepted for `authority` partners.
    pub authority: Option<PathBuf>,
    /// The towns this centre serves, as written; empty: every town. A `requestForService`
    /// whose address is in another town is refused ([`Partners::outside`]).
    pub area: Vec<String>,
    list: Vec<Partner>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    listen: Option<String>,
    authority: Option<PathBuf>,
    #[serde(default)]
    area: Vec<String>,
    #[serde(default)]
    partner: Vec<toml::Spanned<Entry>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    url: String,
    fingerprint: String,
    subscribe: Option<String>,
    share: Option<String>,
}

fn subscribe_word(text: Option<&str>) -> Result<bool, String> {
    match text.map(str::trim) {
        None | Some("" | "none") => Ok(false),
        Some("new") => Ok(true),
        Some(other) => Err(format!(
            "subscribe = '{other}': this desk subscribes to a partner's 'new' incidents (or \
             'none')"
        )),
    }
}

/// Towns in an area at most, and the longest name.
const MAX_TOWNS: usize = 64;
const MAX_TOWN_BYTES: usize = 80;

/// A town as compared: case and runs of spaces do not matter.
fn town_key(town: &str) -> String {
    town.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The towns of an area, checked: each a name of at most 80 bytes without control characters,
/// none twice, at most 64.
pub fn check_area(towns: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::with_capacity(towns.len());
    for t in towns {
        let town = t.split_whitespace().collect::<Vec<_>>().join(" ");
        if town.is_empty() {
            return Err("area: a town's name is empty".into());
        }
        if town.len() > MAX_TOWN_BYTES || town.chars().any(char::is_control) {
            return Err(format!(
                "area: '{}' is not a town's name (at most {MAX_TOWN_BYTES} bytes, no control \
                 characters)",
                town.escape_debug()
            ));
        }
        if out.iter().any(|o| town_key(o) == town_key(&town)) {
            return Err(format!("area: '{town}' is listed twice"));
        }
        out.push(town);
    }
    if out.len() > MAX_TOWNS {
        return Err(format!(
            "area: {} towns; at most {MAX_TOWNS} are listed",
            out.len()
        ));
    }
    Ok(out)
}

fn share_word(text: Option<&str>) -> Result<Share, String> {
    match text.map(str::trim) {
        None | Some("handoffs") => Ok(Share::Handoffs),
        Some("all") => Ok(Share::All),
        Some(other) => Err(format!("share = '{other}': use 'handoffs' or 'all'")),
    }
}

impl Partners {
    /// `<data_dir>/partners.toml`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("partners.toml")
    }

    /// Reads `<data_dir>/partners.toml`; a missing file is an empty list, a broken one an error
    /// naming the file and line.
    pub fn load(data_dir: &Path) -> Result<Partners, SyncError> {
        let path = Self::path(data_dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(SyncError::io(&path, &e)),
        };
        let mut partners = Self::parse(&text).map_err(|(line, reason)| SyncError::PeersFile {
            path: path.clone(),
            line,
            reason,
        })?;
        partners.path = path;
        Ok(partners)
    }

    fn parse(text: &str) -> Result<Partners, (usize, String)> {
        let line_of = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
        let file: File = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(s.start));
            (line, crate::spelling::toml_message(e.message()))
        })?;
        if let Some(addr) = &file.listen {
            crate::sync::peers::check_addr(addr).map_err(|e| (1, e))?;
        }
        let area = check_area(&file.area).map_err(|e| {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with("area"))
                .map_or(1, |i| i + 1);
            (line, e)
        })?;
        let mut list: Vec<Partner> = Vec::with_capacity(file.partner.len());
        for spanned in file.partner {
            let line = line_of(spanned.span().start);
            let e = spanned.into_inner();
            let at = |why: String| (line, why);
            let name = crate::sync::peers::check_name(&e.name).map_err(at)?;
            parse_url(&e.url).map_err(at)?;
            let partner = Partner {
                name,
                url: e.url.trim().to_owned(),
                trust: Trust::parse(&e.fingerprint).map_err(at)?,
                subscribe_new: subscribe_word(e.subscribe.as_deref()).map_err(at)?,
                share: share_word(e.share.as_deref()).map_err(at)?,
            };
            if list.iter().any(|p| p.name == partner.name) {
                return Err((line, format!("two partners are named '{}'", partner.name)));
            }
            list.push(partner);
        }
        Ok(Partners {
            path: PathBuf::new(),
            listen: file.listen.map(|a| a.trim().to_owned()),
            authority: file.authority,
            area,
            list,
        })
    }

    /// Why a request for service at an address in `town` is not this centre's: `None` when no
    /// area is set, the town is in it, or the town is not known.
    pub fn outside(&self, town: Option<&str>) -> Option<String> {
        let town = town?.trim();
        if self.area.is_empty()
            || town.is_empty()
            || self.area.iter().any(|a| town_key(a) == town_key(town))
        {
            return None;
        }
        Some(format!(
            "not our area: {town} is outside {}",
            self.area.join(", ")
        ))
    }

    pub fn list(&self) -> &[Partner] {
        &self.list
    }

    pub fn get(&self, name: &str) -> Option<&Partner> {
        self.list.iter().find(|p| p.name == name)
    }

    /// The partner a pinned certificate belongs to.
    pub fn by_fingerprint(&self, fp: &Fingerprint) -> Option<&Partner> {
        self.list
            .iter()
            .find(|p| matches!(&p.trust, Trust::Pinned(x) if x == fp))
    }

    /// Adds (or, for a name already listed, updates) a partner. Changes only this value;
    /// [`Partners::save`] writes it.
    pub fn add(
        &mut self,
        name: &str,
        url: &str,
        fingerprint: &str,
        subscribe: Option<&str>,
        share: Option<&str>,
    ) -> Result<bool, SyncError> {
        let name = crate::sync::peers::check_name(name).map_err(SyncError::Peer)?;
        parse_url(url).map_err(SyncError::Peer)?;
        let trust = Trust::parse(fingerprint).map_err(SyncError::Peer)?;
        if trust == Trust::Authority && self.authority.is_none() {
            return Err(SyncError::Peer(
                "no authority is configured; set one first: switchboard partner authority \
                 FILE.pem"
                    .into(),
            ));
        }
        let partner = Partner {
            name: name.clone(),
            url: url.trim().to_owned(),
            trust,
            subscribe_new: subscribe_word(subscribe).map_err(SyncError::Peer)?,
            share: share_word(share).map_err(SyncError::Peer)?,
        };
        if let Some(p) = self.list.iter_mut().find(|p| p.name == name) {
            *p = partner;
            return Ok(false);
        }
        self.list.push(partner);
        Ok(true)
    }

    /// Removes the partner with this name.
    pub fn remove(&mut self, name: &str) -> Result<Partner, SyncError> {
        let Some(i) = self.list.iter().position(|p| p.name == name.trim()) else {
            let names: Vec<&str> = self.list.iter().map(|p| p.name.as_str()).collect();
            return Err(SyncError::Peer(format!(
                "no partner '{}'; partners: {}",
                name.trim(),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            )));
        };
        Ok(self.list.remove(i))
    }

    fn render(&self) -> String {
        let mut out = String::new();
        if let Some(l) = &self.listen {
            let _ = writeln!(out, "listen = {}", quoted(l));
        }
        if let Some(a) = &self.authority {
            let _ = writeln!(out, "authority = {}", quoted(&a.display().to_string()));
        }
        if !self.area.is_empty() {
            let towns: Vec<String> = self.area.iter().map(|t| quoted(t)).collect();
            let _ = writeln!(out, "area = [{}]", towns.join(", "));
        }
        for p in &self.list {
            let _ = write!(
                out,
                "\n[[partner]]\nname = {}\nurl = {}\nfingerprint = {}\n",
                quoted(&p.name),
                quoted(&p.url),
                quoted(&p.trust.word())
            );
            if p.subscribe_new {
                out.push_str("subscribe = \"new\"\n");
            }
            if p.share == Share::All {
                out.push_str("share = \"all\"\n");
            }
        }
        out
    }

    /// Writes the list, owner-only and atomically.
    pub fn save(&self) -> Result<(), SyncError> {
        // `partner add` may be the first thing run on a data dir, as `peer add` may.
        if let Some(dir) = self.path.parent() {
            crate::sync::create_private_dir(dir)?;
        }
        crate::sync::write_private_atomic(&self.path, self.render().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_with_their_defaults() {
        assert_eq!(
            parse_url("wss://cad.example:7443/IncidentData/ent"),
            Ok(Url {
                host: "cad.example".into(),
                port: 7443,
                path: "/IncidentData/ent".into()
            })
        );
        assert_eq!(parse_url("wss://127.0.0.1").unwrap().port, 443);
        assert_eq!(
            parse_url("wss://127.0.0.1").unwrap().path,
            "/IncidentData/ent"
        );
        assert!(parse_url("ws://cad.example/x")
            .unwrap_err()
            .contains("wss://"));
        assert!(parse_url("wss://cad.example:0/x").is_err());
    }

    #[test]
    fn the_file_round_trips_and_names_a_bad_line() {
        let text = "listen = \"127.0.0.1:7443\"\n\n[[partner]]\nname = \"metro\"\nurl = \
                    \"wss://127.0.0.1:9/IncidentData/ent\"\nfingerprint = \"authority\"\n\
                    subscribe = \"new\"\n";
        let p = Partners::parse(text).unwrap();
        assert_eq!(p.list()[0].trust, Trust::Authority);
        assert!(p.list()[0].subscribe_new);
        assert_eq!(Partners::parse(&p.render()).unwrap().list(), p.list());
        let bad = "[[partner]]\nname = \"a\"\nurl = \"wss://x:1\"\nfingerprint = \"nope\"\n";
        // The area: kept as written, compared without case or extra spaces.
        let area = Partners::parse("area = [\"MILLBROOK\", \"St  Paul\"]\n").unwrap();
        assert_eq!(
            area.area,
            vec!["MILLBROOK".to_owned(), "St Paul".to_owned()]
        );
        assert_eq!(Partners::parse(&area.render()).unwrap().area, area.area);
        assert_eq!(area.outside(Some("millbrook")), None);
        assert_eq!(area.outside(Some(" st paul ")), None);
        assert_eq!(area.outside(None), None);
        assert_eq!(
            area.outside(Some("Kodiak")).as_deref(),
            Some("not our area: Kodiak is outside MILLBROOK, St Paul")
        );
        assert_eq!(Partners::default().outside(Some("Kodiak")), None);
        let (line, why) =
            Partners::parse("listen = \"127.0.0.1:1\"\narea = [\"A\", \"a\"]\n").unwrap_err();
        assert_eq!((line, why.as_str()), (2, "area: 'a' is listed twice"));
        let (line, why) = Partners::parse(bad).unwrap_err();
        assert_eq!(line, 1);
        assert!(why.contains("neither a fingerprint"), "{why}");
    }
}
