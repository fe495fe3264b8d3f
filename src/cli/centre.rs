//! What every command needs before it runs: the config dir read once (settings, protocol,
//! address list, and every problem found in them), the console's look, the log file, and the
//! desk itself — attached to a serving desk when one runs on the data dir, else opened here.

use std::path::{Path, PathBuf};

use crate::config;
use crate::desk::{Desk, SystemClock};
use crate::domain::Policy;
use crate::store::{Store, StoreKind};

use super::args::Look;

/// The config dir as read once for a command: the settings, and every problem found reading
/// it or the files it names (the console shows them; other commands stop at the first).
pub(super) struct Centre {
    pub(super) dir: Option<PathBuf>,
    pub(super) settings: config::Settings,
    pub(super) problems: Vec<String>,
}

impl Centre {
    pub(super) fn load() -> Centre {
        let dir = config::config_dir();
        let (settings, problem) = config::Settings::load(dir.as_deref());
        Centre {
            dir,
            settings,
            problems: problem.into_iter().collect(),
        }
    }

    /// The triage protocol and the time limits.
    pub(super) fn policy(&mut self) -> Policy {
        let settings = &self.settings;
        let name = settings.protocol.as_deref().unwrap_or("default");
        let protocol =
            crate::config::protocol::load(name, self.dir.as_deref()).unwrap_or_else(|e| {
                self.problems.push(e.to_string());
                crate::config::protocol::shipped()
            });
        let mut policy = Policy::new(protocol);
        policy.pending_alarm_minutes = settings.alarms.pending_minutes;
        policy.default_checkin_minutes = settings.safety.checkin_minutes;
        policy.checkin_minutes = settings.safety.by_response.clone();
        policy
    }

    /// The address list that places new calls (on a desk that plans) and that the map pane is
    /// drawn from (in any console).
    pub(super) fn gazetteer(&mut self) -> Option<crate::places::Gazetteer> {
        crate::config::gazetteer::load(self.dir.as_deref()).unwrap_or_else(|e| {
            self.problems.push(e);
            None
        })
    }

    /// The first problem, for commands that must not run on a broken config.
    pub(super) fn check(&self) -> Result<(), String> {
        self.problems.first().map_or(Ok(()), |p| Err(p.clone()))
    }
}

/// The keymap, theme and drawing options the console uses; what is wrong with the user's files
/// goes with the centre's problems. Fails only without a terminal or on a bad `--colors`.
pub(super) fn console_look(
    look: &Look,
    centre: &mut Centre,
) -> Result<
    (
        crate::console::keymap::Keymap,
        crate::console::theme::Theme,
        crate::console::app::Options,
    ),
    String,
> {
    use std::io::IsTerminal;

    use crate::console::app::Options;
    use crate::console::keymap::Keymap;
    use crate::console::theme::{ColorDepth, Theme};

    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err("the console needs a terminal; in scripts use `switchboard exec`".into());
    }
    let config_dir = centre.dir.as_deref();
    let settings = &centre.settings;
    let keymap_name = look
        .keymap
        .clone()
        .or(settings.keymap.clone())
        .unwrap_or_else(|| "default".into());
    let (keymap, keymap_problems) = Keymap::load(&keymap_name, config_dir);
    let depth = ColorDepth::detect(look.colors.as_deref())?;
    let theme_name = look
        .theme
        .clone()
        .or(settings.theme.clone())
        .unwrap_or_else(|| "ansi16".into());
    let theme = Theme::load(&theme_name, config_dir, depth);
    centre.problems.extend(keymap_problems);
    let theme = theme.unwrap_or_else(|e| {
        centre.problems.push(e.to_string());
        Theme::default_for(depth)
    });
    let options = Options {
        ascii: look.ascii || !config::locale_is_utf8(),
        keymap_name,
        utc: false,
    };
    Ok((keymap, theme, options))
}

/// The desk a `switchboard serve` (or a console with `--listen`) runs on `dir`, if any.
pub(super) fn attach(
    dir: &Path,
    operator: &str,
) -> Result<Option<(Desk, crate::desk::attach::Watch)>, String> {
    crate::desk::attach::attach(dir, Box::new(SystemClock), operator)
}

/// Logs go to a file in the data dir, and only when `SWITCHBOARD_LOG` names a level.
pub(super) fn start_log(dir: &Path) {
    let Some(level) = std::env::var("SWITCHBOARD_LOG")
        .ok()
        .filter(|l| !l.is_empty())
    else {
        return;
    };
    let Ok(level) = level.parse::<tracing::Level>() else {
        eprintln!(
            "switchboard: SWITCHBOARD_LOG={level} is not a level (error, warn, info, debug, trace)"
        );
        return;
    };
    let path = dir.join("switchboard.log");
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        Ok(file) => {
            eprintln!("switchboard: logging {level} to {}", path.display());
            let _ = tracing_subscriber::fmt()
                .with_max_level(level)
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(file))
                .try_init();
        }
        Err(e) => eprintln!("switchboard: cannot log to {}: {e}", path.display()),
    }
}

/// The desk serving the data dir if there is one, else the store opened here.
pub(super) fn open_desk(data: Option<&Path>, operator: &str) -> Result<Desk, String> {
    let dir = config::data_dir(data)?;
    let attached = attach(&dir, operator)?;
    let mut centre = Centre::load();
    let policy = centre.policy();
    // The serving desk places new calls with its own address list.
    let gazetteer = attached.is_none().then(|| centre.gazetteer()).flatten();
    centre.check()?;
    let desk = match attached {
        Some((desk, _)) => desk,
        None => local_desk(&dir, StoreKind::Live, operator, gazetteer)?,
    };
    Ok(desk.with_policy(policy))
}

/// The store in `dir` opened in this process, placing new calls with `gazetteer`.
pub(super) fn local_desk(
    dir: &Path,
    kind: StoreKind,
    operator: &str,
    gazetteer: Option<crate::places::Gazetteer>,
) -> Result<Desk, String> {
    let store = Store::open(dir, kind).map_err(|e| e.to_string())?;
    Ok(Desk::open(store, Box::new(SystemClock), operator)
        .map_err(|e| e.to_string())?
        .with_gazetteer(gazetteer))
}

/// The store in `dir` opened for `serve`. With peers to give back what it lost, a store that
/// went back opens owing it, and takes no change of its own until it is back; without peers it
/// is refused like anywhere else.
pub(super) fn serving_desk(
    dir: &Path,
    operator: &str,
    gazetteer: Option<crate::places::Gazetteer>,
) -> Result<Desk, String> {
    let has_peers = crate::sync::Peers::load(dir).is_ok_and(|p| !p.list().is_empty());
    let store = if has_peers {
        Store::open_to_heal(dir, StoreKind::Live)
    } else {
        Store::open(dir, StoreKind::Live)
    }
    .map_err(|e| e.to_string())?;
    Ok(Desk::open(store, Box::new(SystemClock), operator)
        .map_err(|e| e.to_string())?
        .with_gazetteer(gazetteer))
}
