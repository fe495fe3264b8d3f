//! The commands on the files beside the store: peers, keymaps, themes, protocols, the address
//! list. None of them opens the store, so they work while a console runs.

use std::path::Path;
use std::process::ExitCode;

use crate::config;
use crate::sync::peers::Added;
use crate::sync::{Fingerprint, Identity, Peers, SyncError};

use super::args::{GazetteerAction, KeymapAction, PeerAction, ProtocolAction, ThemeAction};

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
            println!(
                "{verb} peer {} {} at {}",
                peer.name, peer.fingerprint, peer.addr
            );
            if added == Added::New {
                println!(
                    "on that node, run: switchboard peer add {} <this node's HOST:PORT>",
                    own.fingerprint()
                );
            }
        }
        PeerAction::List => {
            if peers.list().is_empty() {
                println!("no peers");
            } else {
                let width = peers
                    .list()
                    .iter()
                    .map(|p| p.name.chars().count())
                    .max()
                    .unwrap_or(0)
                    .max("NAME".len());
                println!("{:<width$}  {:<64}  ADDRESS", "NAME", "FINGERPRINT");
                for p in peers.list() {
                    println!("{:<width$}  {}  {}", p.name, p.fingerprint, p.addr);
                }
            }
        }
        PeerAction::Rm { which } => {
            let gone = peers.remove(&which).map_err(|e| e.to_string())?;
            peers.save().map_err(|e| e.to_string())?;
            println!("removed peer {} {}", gone.name, gone.fingerprint);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn keymap(action: KeymapAction) -> ExitCode {
    use crate::console::keymap::Keymap;
    match action {
        KeymapAction::Check { file } => match Keymap::check_file(&file) {
            Ok(_) => {
                println!("{}: ok", file.display());
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
            print!("{}", keymap.print());
            if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

pub(super) fn theme(action: ThemeAction) -> Result<ExitCode, String> {
    use crate::console::theme::Theme;
    match action {
        ThemeAction::Check { file } => {
            Theme::check_file(&file).map_err(|e| e.to_string())?;
            println!("{}: ok", file.display());
            Ok(ExitCode::SUCCESS)
        }
        ThemeAction::List => {
            for (name, origin) in crate::console::theme::list(config::config_dir().as_deref()) {
                println!("{name:<16} {origin}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(super) fn protocol(action: ProtocolAction) -> ExitCode {
    match action {
        ProtocolAction::Check { file } => match crate::protocol::check_file(&file) {
            Ok(p) => {
                println!(
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
            for (name, origin) in crate::protocol::list(config::config_dir().as_deref()) {
                println!("{name:<16} {origin}");
            }
            ExitCode::SUCCESS
        }
    }
}

pub(super) fn gazetteer(action: &GazetteerAction) -> Result<ExitCode, String> {
    use crate::gazetteer::{Gazetteer, DEMO_TOWN};
    /// Skipped rows shown one per line; the rest are counted.
    const SHOWN: usize = 20;
    let dir = config::config_dir().ok_or("no config dir; set SWITCHBOARD_CONFIG")?;
    let (text, source) = match &action {
        GazetteerAction::Import { file } => (
            std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?,
            file.display().to_string(),
        ),
        GazetteerAction::Demo => (DEMO_TOWN.to_owned(), "demo-town.csv".to_owned()),
        GazetteerAction::Lookup { text } => {
            let gazetteer = Gazetteer::load(Some(&dir))?.ok_or_else(|| {
                "no gazetteer yet; import one with: switchboard gazetteer import FILE".to_owned()
            })?;
            let typed = text.join(" ");
            for (address, score) in gazetteer.lookup(&typed, 5) {
                let c = &address.coords;
                println!(
                    "{:<48} {:>9.5},{:>10.5} {:<4} score {score}",
                    address.label(),
                    c.lat,
                    c.lon,
                    address.district
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    let (gazetteer, problems) = Gazetteer::import(&text, &source)?;
    for p in problems.iter().take(SHOWN) {
        eprintln!("{p}");
    }
    if problems.len() > SHOWN {
        eprintln!("… and {} more skipped rows", problems.len() - SHOWN);
    }
    let path = gazetteer
        .save(&dir)
        .map_err(|e| format!("cannot save the gazetteer in {}: {e}", dir.display()))?;
    println!(
        "imported {} addresses ({} rows skipped) into {}",
        gazetteer.len(),
        problems.len(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
