//! The commands on the files beside the store: peers, keymaps, themes, protocols, the address
//! list. None of them opens the store, so they work while a console runs.

use std::path::Path;
use std::process::ExitCode;

use crate::config;
use crate::sync::peers::Added;
use crate::sync::{Fingerprint, Identity, Peers, SyncError};

use super::args::{
    GazetteerAction, KeymapAction, PartnerAction, PeerAction, ProtocolAction, ThemeAction,
};

/// `peer add|list|rm`: only `identity/` and `peers.toml` are touched, never the store, so these
/// work beside a running console (which picks the list up itself).
pub(super) fn peer(dir: &Path, action: PeerAction) -> Result<ExitCode, String> {
    let mut peers = Peers::load(dir).map_err(|e| e.to_string())?;
    match action {
        PeerAction::Add {
            fingerprint,
            addr,
            name,
        } => {
            let fingerprint: Fingerprint =
                fingerprint.parse().map_err(|e: SyncError| e.to_string())?;
            let own = Identity::load_or_create(dir).map_err(|e| e.to_string())?;
            let added = peers
                .add(&own.fingerprint(), fingerprint, &addr, name.as_deref())
                .map_err(|e| e.to_string())?;
            peers.save().map_err(|e| e.to_string())?;
            let peer = peers.get(&fingerprint).ok_or("the peer was not kept")?;
            let verb = match added {
                Added::New => "added",
                Added::Updated => "updated",
            };
            say!(
                "{verb} peer {} {} at {}",
                peer.name,
                peer.fingerprint,
                peer.addr
            );
            if added == Added::New {
                say!(
                    "on that node, run: switchboard peer add {} <this node's HOST:PORT>",
                    own.fingerprint()
                );
            }
        }
        PeerAction::List => {
            if peers.list().is_empty() {
                say!("no peers");
            } else {
                let width = peers
                    .list()
                    .iter()
                    .map(|p| p.name.chars().count())
                    .max()
                    .unwrap_or(0)
                    .max("NAME".len());
                say!("{:<width$}  {:<64}  ADDRESS", "NAME", "FINGERPRINT");
                for p in peers.list() {
                    say!("{:<width$}  {}  {}", p.name, p.fingerprint, p.addr);
                }
            }
        }
        PeerAction::Rm { which } => {
            let gone = peers.remove(&which).map_err(|e| e.to_string())?;
            peers.save().map_err(|e| e.to_string())?;
            say!("removed peer {} {}", gone.name, gone.fingerprint);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `partner add|list|rm|listen|authority|area`: only `partners.toml` (and `identity/`) are touched.
pub(super) fn partner(dir: &Path, action: PartnerAction) -> Result<ExitCode, String> {
    use crate::partner::list::{Share, Trust};
    use crate::partner::Partners;
    let mut partners = Partners::load(dir).map_err(|e| e.to_string())?;
    match action {
        PartnerAction::Add {
            name,
            url,
            fingerprint,
            subscribe,
            share,
        } => {
            let new = partners
                .add(
                    &name,
                    &url,
                    &fingerprint,
                    subscribe.as_deref(),
                    share.as_deref(),
                )
                .map_err(|e| e.to_string())?;
            partners.save().map_err(|e| e.to_string())?;
            let own = Identity::load_or_create(dir).map_err(|e| e.to_string())?;
            say!(
                "{} partner {} at {}",
                if new { "added" } else { "updated" },
                name.trim(),
                url.trim()
            );
            say!(
                "give {} this node's fingerprint to pin: {}",
                name.trim(),
                own.fingerprint()
            );
            if partners.listen.is_none() {
                say!("to let it connect here too: switchboard partner listen 0.0.0.0:7443");
            }
        }
        PartnerAction::List => {
            if let Some(l) = &partners.listen {
                say!("listening on {l}{}", crate::partner::PATH);
            }
            if let Some(a) = &partners.authority {
                say!("authority {}", a.display());
            }
            if !partners.area.is_empty() {
                say!("area {}", partners.area.join(", "));
            }
            if partners.list().is_empty() {
                say!("no partners");
            }
            for p in partners.list() {
                let trust = match &p.trust {
                    Trust::Pinned(fp) => fp.to_string(),
                    Trust::Authority => "certificate from the authority".to_owned(),
                };
                let mut asks = Vec::new();
                if p.subscribe_new {
                    asks.push("subscribes to new incidents");
                }
                if p.share == Share::All {
                    asks.push("sees every call");
                }
                say!(
                    "{}  {}  {}{}",
                    p.name,
                    p.url,
                    trust,
                    if asks.is_empty() {
                        String::new()
                    } else {
                        format!("  ({})", asks.join(", "))
                    }
                );
            }
        }
        PartnerAction::Rm { name } => {
            let gone = partners.remove(&name).map_err(|e| e.to_string())?;
            partners.save().map_err(|e| e.to_string())?;
            say!("removed partner {}", gone.name);
        }
        PartnerAction::Listen { addr } => {
            if addr.trim() == "off" {
                partners.listen = None;
                say!("partners are no longer taken on a port here");
            } else {
                let addr = crate::sync::peers::check_addr(&addr)?;
                say!(
                    "partners connect to wss://{addr}{} (takes effect when serve starts)",
                    crate::partner::PATH
                );
                partners.listen = Some(addr);
            }
            partners.save().map_err(|e| e.to_string())?;
        }
        PartnerAction::Authority { file } => {
            if file.trim() == "off" {
                partners.authority = None;
                say!("no authority: only pinned partners are accepted");
            } else {
                let path = std::fs::canonicalize(file.trim())
                    .map_err(|e| format!("{}: {e}", file.trim()))?;
                let roots = crate::partner::tls::read_authority(&path)?;
                say!(
                    "accepting certificates from {} ({} certificate(s))",
                    path.display(),
                    roots.len()
                );
                partners.authority = Some(path);
            }
            partners.save().map_err(|e| e.to_string())?;
        }
        PartnerAction::Area { towns } => {
            if towns.len() == 1 && towns[0].trim() == "off" {
                partners.area = Vec::new();
                say!("no area: requests for service from every town are taken");
            } else if towns.iter().any(|t| t.trim() == "off") {
                return Err("area: 'off' clears the area and stands alone".into());
            } else {
                partners.area = crate::partner::list::check_area(&towns)?;
                say!(
                    "this centre serves {}; a request for service elsewhere is refused (403)",
                    partners.area.join(", ")
                );
            }
            partners.save().map_err(|e| e.to_string())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn keymap(action: KeymapAction) -> ExitCode {
    use crate::console::keymap::Keymap;
    match action {
        KeymapAction::Check { file } => match Keymap::check_file(&file) {
            Ok(_) => {
                say!("{}: ok", file.display());
                ExitCode::SUCCESS
            }
            Err(problems) => {
                for p in &problems {
                    eprintln!("{p}");
                }
                ExitCode::FAILURE
            }
        },
        KeymapAction::Print { name } => {
            let dir = config::config_dir();
            let (settings, _) = config::Settings::load(dir.as_deref());
            let name = name.or(settings.keymap).unwrap_or_else(|| "default".into());
            let (keymap, problems) = Keymap::load(&name, dir.as_deref());
            for p in &problems {
                eprintln!("switchboard: {p}");
            }
            say_part!("{}", keymap.print());
            if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

pub(super) fn theme(action: ThemeAction) -> ExitCode {
    use crate::console::theme::Theme;
    match action {
        ThemeAction::Check { file } => match Theme::check_file_all(&file) {
            Ok(()) => {
                say!("{}: ok", file.display());
                ExitCode::SUCCESS
            }
            // Every problem, one line each, as `keymap check` does.
            Err(all) => {
                for e in &all {
                    eprintln!("switchboard: {e}");
                }
                ExitCode::FAILURE
            }
        },
        ThemeAction::List => {
            for (name, origin) in crate::console::theme::list(config::config_dir().as_deref()) {
                say!("{name:<16} {origin}");
            }
            ExitCode::SUCCESS
        }
    }
}

pub(super) fn protocol(action: ProtocolAction) -> ExitCode {
    match action {
        ProtocolAction::Check { file } => match crate::config::protocol::check_file(&file) {
            Ok(p) => {
                say!(
                    "{}: ok ({} questions, {} rules)",
                    file.display(),
                    p.questions.len(),
                    p.rules.len()
                );
                ExitCode::SUCCESS
            }
            Err(problems) => {
                for p in &problems {
                    eprintln!("{p}");
                }
                ExitCode::FAILURE
            }
        },
        ProtocolAction::List => {
            for (name, origin) in crate::config::protocol::list(config::config_dir().as_deref()) {
                say!("{name:<16} {origin}");
            }
            ExitCode::SUCCESS
        }
    }
}

pub(super) fn gazetteer(action: &GazetteerAction) -> Result<ExitCode, String> {
    use crate::places::{Gazetteer, DEMO_TOWN, KODIAK};
    /// Skipped rows shown one per line; the rest are counted.
    const SHOWN: usize = 20;
    let dir = config::config_dir().ok_or("no config dir; set SWITCHBOARD_CONFIG")?;
    let (text, source) = match &action {
        GazetteerAction::Import { file } => (
            std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?,
            file.display().to_string(),
        ),
        GazetteerAction::Demo { town } => match town.to_ascii_lowercase().as_str() {
            "millbrook" => (DEMO_TOWN.to_owned(), "demo-town.csv".to_owned()),
            "kodiak" => (KODIAK.to_owned(), "kodiak.csv".to_owned()),
            _ => return Err(crate::places::towns::town(town).err().unwrap_or_default()),
        },
        GazetteerAction::Lookup { text } => {
            let gazetteer = config::gazetteer::load(Some(&dir))?.ok_or_else(|| {
                "no gazetteer yet; import one with: switchboard gazetteer import FILE".to_owned()
            })?;
            let typed = text.join(" ");
            say!("{}", gazetteer.place(&typed).placement.describe());
            for (address, score) in gazetteer.lookup(&typed, 5) {
                let c = &address.coords;
                say!(
                    "  {:<46} {:>9.5},{:>10.5} {:<4} score {score}",
                    address.label(),
                    c.lat,
                    c.lon,
                    address.district
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    let imported = Gazetteer::import(&text, &source)?;
    let problems = &imported.problems;
    for p in problems.iter().take(SHOWN) {
        eprintln!("{p}");
    }
    if problems.len() > SHOWN {
        eprintln!("… and {} more skipped rows", problems.len() - SHOWN);
    }
    if !imported.ignored.is_empty() {
        eprintln!(
            "{source}:1: ignored column(s) {}: not OpenAddresses columns",
            imported.ignored.join(", ")
        );
    }
    let path = config::gazetteer::save(&imported.gazetteer, &dir)
        .map_err(|e| format!("cannot save the gazetteer in {}: {e}", dir.display()))?;
    say!(
        "imported {} addresses from {} ({} rows skipped) into {}",
        imported.gazetteer.len(),
        imported.form.word(),
        problems.len(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `scenario from-calls`: the scenario on stdout (or in `out`), what was kept on stderr.
pub(super) fn from_calls(
    file: &std::path::Path,
    mapping: &std::path::Path,
    from: Option<&str>,
    until: Option<&str>,
    out: Option<&std::path::Path>,
) -> Result<ExitCode, String> {
    use crate::sim::from_calls::{from_calls, parse_time, Window};
    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let time = |flag: &str, text: Option<&str>| {
        text.map(|t| {
            parse_time(t).ok_or_else(|| format!("--{flag} {t:?} is not YYYY-MM-DD HH:MM[:SS]"))
        })
        .transpose()
    };
    let window = Window {
        from: time("from", from)?,
        until: time("until", until)?,
    };
    let made = from_calls(
        &read(file)?,
        &file.display().to_string(),
        &read(mapping)?,
        &mapping.display().to_string(),
        window,
        &crate::config::protocol::shipped(),
    )?;
    for p in made.problems.iter().take(20) {
        eprintln!("{p}");
    }
    let left: Vec<String> = made
        .left_out
        .iter()
        .take(8)
        .map(|(n, k)| format!("{n} {k}"))
        .collect();
    eprintln!(
        "{} of {} calls kept (natures the mapping names); left out: {}{}",
        made.kept,
        made.read,
        left.join(", "),
        if made.left_out.len() > 8 { ", …" } else { "" }
    );
    match out {
        Some(path) => std::fs::write(path, &made.toml)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => say_part!("{}", made.toml),
    }
    Ok(ExitCode::SUCCESS)
}
